"""tierwise: run Claude on Amazon Bedrock with the right tier for every request."""

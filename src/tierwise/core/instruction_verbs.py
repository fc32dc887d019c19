"""Whether an instruction to an agent changes state, read from where its verb stands and
what it is not, rather than from a list of the verbs that act.

The action lists of :mod:`tierwise.core.signals` name verbs that act ("delete", "refund",
"lösch..."); an action asked in any other verb ("Promote build 5521 to production?",
"¿Borras las ramas?", "Yank 4.2.0 from the registry") was read as only looking. No list of
acting verbs can be complete, and a list written from the misses is tuned on them. The
verbs that do *not* change anything are a small, closed set: verbs that look, count or
tell ("show", "list", "check", "zeig", "muestra"...), verbs that make something new or
edit a text ("add", "create", "draft", "write", "assign", "rename", "schedule", "ajoute",
"erstelle"...: an ordinary agent step), and verbs of being, having or knowing that open a
question ("läuft der Rollout noch?", "¿hay...?", "tiene..."). Every other verb that opens
an instruction (or an instruction put as a question) asks the agent to change something.

What makes a word the verb of an instruction, without a dictionary: it opens the sentence
(after fillers, "please", "can you", "let's", "on") and is followed by what it acts on - a
determiner or a quantifier ("the", "every", "die", "les", "todos"), an identifier
("3.8.0", "@acme/ui", "new_checkout"), a name, a pronoun ("it", "them"), or a particle
("zero out", "claw back"); not by how something went ("Deploy done?", "Build 5521 green?",
"Invoice 5521 paid?"). German and Dutch put the verb last: a question that ends on an
infinitive, with no question word, modal or auxiliary before it ("Die alten Snapshots
abräumen?"). This is used only when tools are offered, where an instruction is an agent's
step: :func:`tierwise.core.signals.extract_signals`.
"""

from __future__ import annotations

import re

__all__ = ["asks_for_advice", "asks_unlisted_change"]


def _split(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Verbs that only look, count, compute or tell: nothing changes. English, German, French,
# Spanish, Portuguese, Italian, Dutch; imperatives (and the 2nd person where a question
# uses it). signals._READ_LEAD is read before this.
_LOOK = _split(
    """
    show list check find look get tell give see view display fetch search read explain
    count describe verify confirm compare estimate preview simulate draft outline sum total
    calculate compute average analyse analyze plot chart inspect audit trace diagnose
    investigate query select ping tail grep print summarize summarise review watch monitor
    test measure report recap remind ask wait help let
    zeig zeige such suche finde find prüf prüfe überprüf überprüfe schau gib sag sage nenn
    nenne zähl zähle berechne erklär erkläre vergleich vergleiche lies kontrollier kontrolliere
    montre montrez affiche affichez liste listez trouve trouvez cherche cherchez vérifie
    vérifiez dis dites donne donnez compte comptez explique expliquez regarde regardez calcule
    compare comparez
    muestra muéstrame muestrame lista busca buscas encuentra comprueba revisa dime dame cuenta
    explica mira calcula compara
    mostra mostre mostra-me lista busca procura encontra verifica diz diga dá-me dê-me conta
    explica vê veja calcula compara
    mostrami elenca cerca trova controlla dimmi dammi spiega guarda calcola confronta
    toon zoek vind controleer geef zeg tel kijk bereken vergelijk
    """
)
# Verbs that make something new or edit a text: an ordinary agent step (a note, a draft, a
# ticket, an assignment, a booking), not an irreversible one.
_ORDINARY = _split(
    """
    add create make draft write compose book schedule reschedule open file log note comment
    tag label assign rename attach upload save copy duplicate invite reply respond answer
    prepare generate build set-up setup update edit fix correct format translate run start
    continue retry try use follow put mention link pin star bookmark plan organize organise
    sort group move-on keep go come
    füg füge erstell erstelle leg lege schreib schreibe entwirf plan plane trag trage notier
    notiere kommentier kommentiere weis weise benenn benenne häng hänge lad lade speicher
    speichere kopier kopiere antworte beantworte bereite öffne buch buche mach mache
    ajoute ajoutez crée créez rédige rédigez écris écrivez planifie programme note notez
    commente assigne attribue renomme joins enregistre copie invite réponds répondez ouvre
    ouvrez prépare préparez réserve fais faites
    añade agrega crea redacta escribe programa anota comenta asigna renombra adjunta sube
    guarda copia invita responde contesta abre prepara reserva etiqueta haz
    adiciona adicione acrescenta cria crie redige escreve escreva agenda anota comenta atribui
    renomeia anexa carrega salva guarda copia convida responde abre prepara reserva faz faça
    aggiungi crea scrivi redigi programma annota commenta assegna rinomina allega carica salva
    copia invita rispondi apri prepara prenota fai
    voeg maak schrijf plan noteer wijs hernoem upload bewaar sla kopieer nodig beantwoord
    open bereid boek
    """
)
# Verbs that think, judge, decide or work on a text the model writes back: asking for advice,
# an opinion or a transformation changes nothing outside the conversation ("Suggest a name",
# "Ignore the previous message", "Extract the dates", "Recommend the best plan"). Without
# them, any such instruction to an agent with a shell or HTTP tool read as an action.
_THINK = _split(
    """
    suggest recommend propose advise consider ignore disregard assume suppose imagine pretend
    clarify repeat rephrase paraphrase reword rewrite shorten expand simplify improve polish
    proofread extract classify categorize categorise identify determine decide choose pick
    rank rate score evaluate assess judge predict forecast infer deduce derive solve prove
    design brainstorm name convert transform parse map match highlight annotate transcribe
    interpret define justify argue critique discuss elaborate focus summarize summarise refactor
    implement optimize optimise debug reformat prioritize prioritise think weigh answer quote
    cite spell guess teach walk
    schlag empfiehl betrachte ignorier ignoriere wähl wähle extrahier extrahiere
    klassifizier klassifiziere fasse formulier formuliere übersetz übersetze beurteile bewerte
    suggère suggérez propose proposez recommande recommandez considère ignore ignorez imagine
    imaginez clarifie répète reformule résume extrais extrayez classe identifie choisis
    choisissez évalue
    sugiere sugieran propón proponga recomienda considera ignora imagina aclara repite
    reformula resume extrae clasifica identifica elige evalúa
    sugere sugira propõe recomenda considera ignora imagina esclarece repete reformula resume
    extrai classifica identifica escolhe avalia
    suggerisci proponi raccomanda considera ignora immagina chiarisci ripeti riformula
    riassumi estrai classifica identifica scegli valuta
    adviseer beschouw negeer negeren verduidelijk herhaal herformuleer vat extraheer
    classificeer identificeer kies beoordeel
    """
)
# Verbs that ask for a plan, a proposal or advice: what follows them is the plan's subject,
# so an action word there is a noun or an infinitive of the plan ("Propose a rollout order",
# "Suggest a schedule for writing off the stock", "Schlag eine Reihenfolge vor, in der wir
# die Regeln entfernen"), not the step asked for. Not verbs that do the work ("implement",
# "refactor", "convert") nor "prepare" or "write", which can act ("write the config to prod").
_ADVISE = _split(
    """
    suggest recommend propose advise plan sketch design brainstorm consider evaluate assess
    weigh outline
    schlag empfiehl plane entwirf skizziere skizzier überleg überlege
    suggère suggérez propose proposez recommande recommandez planifie esquisse
    sugiere propón proponga propon recomienda planifica diseña esboza
    sugere sugira propõe proponha recomenda planeja planeie desenha esboça
    suggerisci proponi raccomanda pianifica progetta abbozza
    adviseer ontwerp schets
    """
)
_ADVISE_PHRASAL = frozenset(
    {"work out", "map out", "lay out", "think through", "draw up", "figure out", "come up"}
)
_ORDINARY = _ORDINARY | _THINK | _ADVISE
# Phrasal verbs that look, make something or edit: "set up a 30 min sync", "write up".
_ORDINARY_PHRASAL = frozenset(
    {"set up", "follow up", "write up", "back up", "look up", "pull up", "sum up", "add up",
     "fill out", "find out", "figure out", "work out", "print out", "read out", "point out",
     "sort out", "check out", "sign up", "write down", "note down", "break down", "narrow down",
     "look over", "read over", "go over", "think over", "hand over", "look back", "call back",
     "get back", "write back", "reach out"}
)  # fmt: skip
# Words that cannot be the verb of an instruction: question words, auxiliaries and verbs of
# being, having, knowing, wanting, going on (a question about a state), pronouns, articles,
# quantifiers, prepositions, conjunctions and adverbs.
_NOT_A_VERB = _split(
    """
    what whats what's which who whom whose when where why how is are was were am be been do
    does did done has have had can could will would shall should may might must need needs
    want wants know knows think remember mean means like see hear understand recall mind
    got gotten seen found heard sent made gone taken given left kept paid built bought
    any anything anyone anybody all every everything some something no nothing none both each
    either neither it this that these those there here you we they he she i me us our my your
    their his her its the a an not only also even still already just and or but if so then
    now today yesterday tomorrow maybe perhaps probably yes no ok okay thanks thank please
    in on at for from to by with without of about after before again
    was welche welcher welches welchen wie wo woher wohin wann wer wen wem warum wieso weshalb
    ist sind war waren wird werden wurde wurden hat haben hatte hatten gibt gab läuft laufen
    steht stehen bleibt liegt liegen fehlt fehlen geht gehen kann können soll sollen muss
    müssen darf will wollen weißt wisst kennst ich du er sie es wir ihr der die das den dem
    des ein eine einen einem alle alles noch schon nicht kein keine
    que quoi quel quelle quels quelles combien comment où quand qui pourquoi est sont a ont y
    reste restent faut peut peuvent doit je tu il elle nous vous ils elles le la les l' un
    une des du au aux tout tous toutes ce cette ces
    qué cuál cuáles cuánto cuánta cuántos cuántas cómo dónde cuándo quién quiénes por es está
    están son hay tiene tienes tienen sigue siguen queda quedan existe puede puedes debe yo
    tú él ella nosotros ellos el los las una todo todos todas
    o qual quais quanto quanta quantos quantas como onde quando quem é estão são há tem têm
    continua continuam existe pode eu você ele nós eles os as um uma tudo
    che cosa quale quali quanti quante come dove chi perché è sono c'è ci ha hanno sta stanno
    resta esiste può io lui lei noi loro lo gli tutto tutti tutte
    wat welke hoe waar wanneer waarom zijn heeft hebben staat loopt ligt blijft werd kan
    kunnen zal moet ik jij je hij zij wij het een de alle nog al geen niet
    """
)
# What a verb acts on, right after it: a determiner, quantifier, possessive or object pronoun.
_OBJECT_WORDS = _split(
    """
    the a an this that these those all every each any both our my your their its his her it
    them everything everyone everybody anything
    der die das den dem des ein eine einen einem alle alles allen mein meine unser unsere
    le la les l' un une des du tous toutes tout ce cette ces mon ma mes notre nos
    el los las del al uno una unos unas todo todos todas este esta estos estas mi mis
    nuestro nuestra nuestros nuestras o os as um uma uns umas da do das dos todo todos toda
    todas este esta estes estas
    il lo gli i l' un uno una tutti tutte tutto questo questa questi queste
    de het een alle mijn onze deze dit die dat
    """
)
# A particle after a verb: "zero out", "claw back", "ramp up", "free up", "lock out".
_PARTICLES = _split("out back up down off away over")
# How something went, after a noun that opens a status question ("build 5521 green?",
# "invoice 5521 paid?", "deploy done?").
_STATUS = re.compile(
    r"(?:is|was|are|were|has|had|have|did|does|do|will|would|can|could|should|went|gone"
    r"|goes|still|already|yet|ok|okay|through|status|done|finished|complete|ready|live"
    r"|successful|pending|stuck|running|green|red|broken|healthy|up|over|\w+ed|says|said"
    # irregular participles: "Invoice 5521 paid?", "Newsletter sent?"
    r"|paid|sent|made|built|taken|given|kept|sold|lost|won|shut|run|begun|seen|written|shown"
    r"|noch|schon|nicht|encore|déjà|todavía|ya|ainda|já|ancora|già|nog|al)$"
)
# Finite verbs that follow a subject in a statement ("Carla Mendes left today").
_FINITE = _split(
    """
    left went quit came got took gave told sent made said thinks wants needs asks asked says
    leaves starts started ends ended works worked
    """
)
# German and Dutch question words, modals and auxiliaries before a verb-last question.
_ASKS_ABOUT_VERB_LAST = _split(
    """
    was wie wer wen wem wo wann warum wieso weshalb welche welcher welches wieviel wieviele
    soll sollen sollte sollten kann kannst können könnt könnte könnten muss musst müssen darf
    dürfen will willst wollen wollt ist sind war waren hat hast haben hatte hatten wird wirst
    werden wurde wurden gibt
    wat hoe wie waar wanneer welke waarom moet moeten kan kunnen zal zullen zijn is heeft
    hebben mag mogen
    """
)
# Fillers before the verb: "ok so just", "go ahead and", "let's", "shall we", French "on"
# ("On supprime la table ?"), "please", "can you" (a polite request is asked by its verb).
_OPENER = re.compile(
    r"\s*[¿¡]?\s*(?:(?:ok(?:ay)?|so|hey|hi|hello|now|also|and|but|then|just|pls|please|right"
    r"|alright|great|cool|fine|yes|yeah|yep|thanks|go ahead and|let'?s|shall we|on|bitte"
    r"|por favor|s'il te plaît|s'il vous plaît|per favore|alsjeblieft|(?:can|could|would|will)"
    r"(?:n't)? (?:you|u)(?: please)?|kannst du|könntest du|peux-tu|pouvez-vous|puedes|podrías"
    r"|podes|pode|puoi|potresti|kun je|kunt u)\b[,:]?\s*)*"
)
_WORD = re.compile(r"[^\W\d_][\w'-]*|[^\s]+")
# A full stop ends a sentence after a word of three letters or more; "!", "?", ";", ":" and
# line breaks end one too.
_SENTENCE = re.compile(r"(?<=\w\w\w)\.(?=\s|$)|[!?;:\n]")
_IDENTIFIER = re.compile(r".*(?:\d|[@_/.:#]).*|[\"'`«“].*")


# Prepositions of where a particle verb takes its object ("ramp ... up to", "dial ... back to").
_DIRECTIONS = _split("to into onto from by")
# What follows a bare plural object and says which ones ("Scrap permits that were issued
# twice", "Reject samples from run 88", "Unenrol students who never logged in"): a relative
# pronoun or a preposition. A noun that opens a status question is followed by how it went
# instead ("Festival closures published yet?").
_WHICH_ONES = _split(
    "that who which whose whom where from on in for of with at older without under since across"
)
# German and Dutch separable verbs put their particle last, and it changes the verb: "Geef
# de resultaten vrij" (release), "Schrijf de leerlingen uit" (unenrol), "Gib das Budget frei",
# "Buch den Betrag ab". With one of these particles at the end, a looking or ordinary verb
# is another verb; not the compounds that still look or make ("Such ein Datum aus", "Zoek
# het uit", "Leg het uit").
_SEPARABLE_PARTICLES = _split("vrij frei weg leeg af ab uit aus")
# Of those, the ones that are no preposition can stand before a phrase that ends the
# sentence ("Geef de resultaten vrij aan de afdelingen"); "aus", "uit", "ab", "af" only last.
_PARTICLES_NOT_PREPOSITIONS = _split("vrij frei weg leeg")
_SEPARABLE_ORDINARY = frozenset(
    {"such aus", "suche aus", "kies uit", "zoek uit", "leg uit", "leg aus", "lege aus",
     "rechne aus", "füll aus", "fülle aus", "vul uit", "probier aus", "probiere aus",
     "druck aus", "drucke aus", "print uit", "werk uit", "denk uit", "schau ab", "schreib ab",
     "lies ab", "ruf ab", "hol ab", "frag ab"}
)  # fmt: skip
# Elided articles and pronouns that open a noun, not a verb ("L'ispezione di N417QX è già
# firmata?", "Dell'ordine 88 ...").
_ELIDED = ("l'", "d'", "dell'", "all'", "nell'", "sull'", "dall'", "un'", "qu'", "c'", "j'")
_VOWELS = frozenset("aeiouy")


def _inflected(word: str) -> bool:
    """Whether ``word`` ends as a participle or gerund ("finished", "running"): "-ed" or
    "-ing" after a stem with a vowel, so "shred" or "bring" stay verbs."""
    for end in ("ing", "ed"):
        if word.endswith(end):
            return not _VOWELS.isdisjoint(word[: -len(end)])
    return False


def _opening(sentence: str) -> int:
    """Where the words after the fillers of ``sentence`` start."""
    start = _OPENER.match(sentence)
    return start.end() if start else 0


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _is_object(word: str) -> bool:
    """Whether ``word`` (lower case) is a determiner, quantifier or pronoun an object opens with."""
    return word in _OBJECT_WORDS or word.startswith(("l'", "d'"))


def _how_it_went(word: str) -> bool:
    """A word that says how something went or is ("done", "green", "still", "is", "left")."""
    return bool(_STATUS.fullmatch(word)) or word in _FINITE


def _verb_first(sentence: str, original: str, question: bool) -> bool:
    """Whether ``sentence`` (lower case; ``original`` as written) opens with a verb that is
    neither looking, ordinary nor stative, followed by what it acts on."""
    start = _OPENER.match(sentence)
    at = start.end() if start else 0
    words = _words(sentence[at:])
    originals = _words(original[at:])
    if len(words) < 2 or len(originals) != len(words):
        return False
    verb, nxt = words[0], words[1]
    if verb.startswith("re-") and len(verb) > 4:
        # "re-" makes a verb of what follows ("Re-tag latest back to 4.1.3"), which is
        # looking or ordinary as its stem is ("Re-run the tests", "Re-check the logs")
        stem = verb[3:]
        if stem in _NOT_A_VERB or stem in _LOOK or stem in _ORDINARY:
            return False
        return not _how_it_went(nxt)
    if verb.startswith(_ELIDED):
        return False
    if verb in _LOOK or verb in _ORDINARY:
        return _separated(words)
    if verb in _NOT_A_VERB:
        return False
    if not verb.replace("-", "").replace("'", "").isalpha() or _inflected(verb):
        return False
    after = words[2] if len(words) > 2 else ""
    if _bare_plural_object(words, question):
        return True
    if nxt in _PARTICLES:
        if f"{verb} {nxt}" in _ORDINARY_PHRASAL:
            return False  # "set up a sync", "follow up with", "back up the database"
        return bool(after) and not _how_it_went(after)  # "zero out the points", "ramp up"
    if _how_it_went(nxt):
        return False  # "Deploy done?", "Refund gone through?", "Legal says ..."
    if _is_object(nxt):
        return True  # "Shred the backups?", "Schließ alle Tickets", "¿Borras las ramas?"
    if _IDENTIFIER.fullmatch(nxt):
        # "Pull 3.8.0 from the store", not "Build 5521 green?", "Invoice 5521 paid?"; a
        # particle with where to ("Ramp search_v2 up to all EU traffic") is the verb's
        if after in _PARTICLES and len(words) > 4 and words[3] in _DIRECTIONS:
            return words[4] != "date"  # not "Build 5521 up to date?"
        return bool(after) and not _how_it_went(after)
    if originals[1][:1].isupper():
        # a name ("Dismiss Carla Mendes", "Erstatte Kunde 4471"), not its subject
        # ("Carla Mendes left today", "Backup Server noch erreichbar?")
        j = 1
        while j < len(words) and originals[j][:1].isupper():
            j += 1
        rest = words[j] if j < len(words) else ""
        finite = _how_it_went(rest) or (rest.endswith("s") and not rest.endswith("ss"))
        return not rest or not finite
    # "Promote build 5521 to production?": a noun and its identifier, then not how it went
    return bool(_IDENTIFIER.fullmatch(after)) and not (len(words) > 3 and _how_it_went(words[3]))


def _plural(word: str) -> bool:
    """Whether ``word`` (lower case) ends as an English plural noun ("permits", "fees"), not
    as "-ss" ("access") or "-us" ("status")."""
    return len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is"))


def _bare_plural_object(words: list[str], question: bool) -> bool:
    """An instruction whose object is a bare plural, maybe after one adjective, followed by
    which ones it means: "Scrap permits that ...", "Reject samples from run 88", "Forgive
    late fees for accounts in Ohio". Not a status question: the verb would end in "-s" (a
    plural noun: "Samples from run 88 ...") or the question ends on how it went ("Spam
    messages from Acme blocked?")."""
    if _plural(words[0]) or len(words) < 3:
        return False
    for k in (1, 2):
        if len(words) > k + 1 and _plural(words[k]) and words[k + 1] in _WHICH_ONES:
            if k == 2 and (words[1] in _NOT_A_VERB or not words[1].isalpha()):
                return False
            return not (question and _how_it_went(words[-1]))
    return False


def _separated(words: list[str]) -> bool:
    """A German or Dutch instruction whose looking or ordinary verb takes a separable
    particle at its end that makes it another verb ("Geef de resultaten van run 88 vrij",
    "Schrijf de leerlingen uit BIO-9 uit"), with what it acts on between them."""
    if len(words) < 3 or not any(w in _GERMANIC for w in words):
        return False
    particle = words[-1]
    if particle not in _SEPARABLE_PARTICLES:
        particle = next((w for w in words[2:] if w in _PARTICLES_NOT_PREPOSITIONS), "")
    if not particle or f"{words[0]} {particle}" in _SEPARABLE_ORDINARY:
        return False
    return _is_object(words[1]) or words[1].isdigit() or bool(_IDENTIFIER.fullmatch(words[1]))


def _verb_last(sentence: str) -> bool:
    """A German or Dutch question that ends on an infinitive that is neither looking,
    ordinary nor stative, with no question word, modal or auxiliary first and no "zu"
    ("Die alten Snapshots abräumen?")."""
    start = _OPENER.match(sentence)
    words = _words(sentence[start.end() if start else 0 :])
    if len(words) < 2 or words[0] in _ASKS_ABOUT_VERB_LAST or words[-2] == "zu":
        return False
    last = words[-1]
    if not last.endswith("en") or not last.isalpha() or len(last) < 5:
        return False
    if last.startswith("ge") or last in _NOT_A_VERB or last in _LOOK or last in _ORDINARY:
        return False  # participles ("gegangen"), "offen", "laufen"
    if last in _NOT_VERB_LAST or (words[0] in _NOT_A_VERB and words[0] not in _OBJECT_WORDS):
        return False
    # German or Dutch: one of their function words, or a letter English does not use
    return any(w in _GERMANIC for w in words[:-1]) or not sentence.isascii()


# Function words of German and Dutch, to tell their verb-last questions from English ones
# ending on a participle ("Backups taken?").
_GERMANIC = _split(
    """
    der die das den dem des ein eine einen einem alle alles mit von vom zum zur für auf aus bei
    nach im am ins het een van voor op naar met bij uit alle
    """
)


# Words ending in -en that are no infinitive at the end of a question.
_NOT_VERB_LAST = _split(
    "offen morgen unten oben eben zusammen vorhanden trocken gestern heute seiten"
)


def asks_for_advice(sentence: str) -> bool:
    """Whether ``sentence`` (lower case) opens, after fillers, with a verb that asks for a
    plan, a proposal or advice ("propose ...", "plan how ...", "work out ..."): the actions
    it names are what the plan is about."""
    words = _words(sentence[_opening(sentence) :])[:2]
    if not words:
        return False
    return words[0] in _ADVISE or " ".join(words) in _ADVISE_PHRASAL


def asks_unlisted_change(text: str, looks: re.Pattern[str] | None = None) -> bool:
    """Whether a sentence of the user's ``text`` is an instruction (or an instruction put
    as a question) whose verb is none of the closed sets of looking, ordinary and stative
    verbs: it asks the agent to change something. A sentence that ``looks`` matches (at its
    start, lower case: "pull up the draft", "dry-run the cleanup") only looks."""
    window = text[:1500]
    lower = window.lower()
    pos = 0
    sentences: list[tuple[str, str, str]] = []
    for m in [*_SENTENCE.finditer(lower), None]:
        end = m.start() if m else len(lower)
        if lower[pos:end].strip():
            sentences.append((lower[pos:end], window[pos:end], m.group() if m else ""))
        pos = m.end() if m else len(lower)
    # The instruction opens or closes the user's words; sentences in between are material
    # ("Help me with this. WIN a FREE iPhone now!!!").
    # A first sentence that asks to look or to make something ("Help me with this.") is the
    # instruction, and what follows it material.
    first = _words(sentences[0][0][_opening(sentences[0][0]) :])[:1] if sentences else []
    told = bool(first) and (first[0] in _LOOK or first[0] in _ORDINARY)
    ask = sentences[:1] if told else sentences[:2] + sentences[2:][-1:]
    for sentence, original, mark in ask:
        question = mark == "?" or sentence.lstrip().startswith("¿")
        if looks is not None and looks.match(sentence):
            continue
        if _verb_first(sentence, original, question):
            return True
        if question and _verb_last(sentence):
            return True
    return False

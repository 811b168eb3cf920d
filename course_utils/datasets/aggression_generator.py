"""Seeded generator of a *synthetic* aggressiveness corpus in the MEX-A3T layout.

The real MEX-A3T corpus (Mexican Spanish tweets labelled aggressive / not aggressive) cannot
be redistributed, so the course ships this stand-in. It is built so that validation measures
**generalisation** and two representations of a tweet are **complementary**:

- Most tweets are a *frame* with one slot ("@USUARIO eres un {adjetivo}", "te voy a {verbo} a
  la salida", "me das {sentimiento}") filled with a **hostile** word (insult, threat, contempt)
  or a **friendly** one (compliment, hug, warmth). Frames are label-neutral: only the filler
  says whether the tweet is hostile.
- Slot fillers and some frames are **held out**: training tweets use one list, validation and
  test tweets another ("zopenco" never appears in training, "tarado" never in validation).
  A bag of words fitted on the training split cannot know a held-out insult.
- A separate, unlabelled **general-language corpus** (:func:`background_sentences`) uses every
  filler, held-out ones included, in contexts typical of its kind ("lo llamó zopenco y se
  ofendió"). Word vectors trained on it place a held-out insult next to the known ones, like
  pre-trained vectors do. It is formal text: it never contains chat markers.
- A hostile tweet with a **banter marker** ("jajaja", "xD", "ntc", 😂) is friendly teasing and
  *not* aggressive. The markers are chat words: the training tweets' TF-IDF knows them, the
  general-language vectors do not (they are out of their vocabulary).
- Distractors: vulgar words in friendly complaints ("qué pinche calor"), neutral tweets,
  dropped accents, chat abbreviations, typos, elongations, hashtags, neutral emojis.
- Label noise: a fraction of labels flipped at random, like annotator disagreement. The clean
  labels of validation and test are written too (``*_clean_labels.txt``) so the notebook can
  draw the ceiling that noise puts on any model, and so is each of their tweets' kind
  (``*_kinds.txt``: insulto, burla amistosa, …) so it can show where each representation fails.

Language is kept mild enough for a classroom. Everything is drawn from one
``numpy.random.Generator``: the same seed writes byte-identical files.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# --- slot fillers: (seen in training, held out for validation and test) ----------------------
FILLERS: dict[str, tuple[list[str], list[str]]] = {
    "insulto": (
        ["idiota", "tarado", "menso", "baboso", "estúpido", "imbécil", "payaso", "inútil", "ridículo"],
        ["zopenco", "zoquete", "mamón", "cobarde", "patán", "bruto", "lambiscón", "pelmazo"],
    ),
    "elogio": (
        ["crack", "genio", "ídolo", "campeón", "máquina", "chingón", "grande", "lindo", "fenómeno"],
        ["maestro", "titán", "capo", "tesoro", "artista", "cielo", "héroe", "sol"],
    ),
    "amenaza": (
        ["madrear", "golpear", "partir", "romper", "surtir", "agarrar", "patear"],
        ["reventar", "quebrar", "tundir", "fregar", "descontar", "trapear"],
    ),
    "cariño": (
        ["abrazar", "invitar", "saludar", "felicitar", "consentir", "apapachar", "extrañar"],
        ["visitar", "besar", "acompañar", "festejar", "celebrar", "cuidar"],
    ),
    "desprecio": (
        ["asco", "pena", "lástima", "vergüenza", "coraje", "flojera"],
        ["repugnancia", "náuseas", "desprecio", "grima", "repelús"],
    ),
    "afecto": (
        ["risa", "gusto", "ternura", "orgullo", "alegría", "envidia"],
        ["cariño", "ilusión", "felicidad", "emoción", "confianza"],
    ),
    "vulgar": (["pinche", "méndigo", "cabrón"], ["maldito", "jodido", "condenado"]),
}
HOSTILE = {"adjetivo": "insulto", "verbo": "amenaza", "sentimiento": "desprecio"}
FRIENDLY = {"adjetivo": "elogio", "verbo": "cariño", "sentimiento": "afecto"}

# --- frames: (seen in training, held out); "{s}" is the slot --------------------------------
FRAMES: dict[str, tuple[list[str], list[str]]] = {
    "adjetivo": (
        [
            "@USUARIO eres un {s}",
            "@USUARIO qué {s} eres",
            "@USUARIO siempre has sido un {s}",
            "neta @USUARIO, eres el más {s} de todos",
            "@USUARIO tan {s} como siempre",
            "@USUARIO no cabe duda de que eres un {s}",
            "ya salió el {s} de @USUARIO",
        ],
        ["@USUARIO te pasas de {s}", "@USUARIO nomás tú eres así de {s}", "ahí va otra vez el {s} de @USUARIO"],
    ),
    "verbo": (
        [
            "@USUARIO te voy a {s} a la salida",
            "@USUARIO cuando te vea te voy a {s}",
            "@USUARIO ya verás, mañana te voy a {s}",
            "@USUARIO espérame afuera que te quiero {s}",
        ],
        ["@USUARIO prepárate porque te voy a {s}", "@USUARIO el viernes te voy a {s} sin falta"],
    ),
    "sentimiento": (
        [
            "@USUARIO me das {s}",
            "@USUARIO de verdad das {s}",
            "@USUARIO cada vez que hablas me da {s}",
            "@USUARIO qué {s} me das",
        ],
        ["@USUARIO nomás de verte me da {s}", "@USUARIO con lo que escribes me das {s}"],
    ),
}
VULGAR_FRAMES = (
    [
        "qué {s} {clima} hace en {lugar}",
        "{s} {clima}, llevo dos horas en {lugar}",
        "otra vez el {s} {clima} en {lugar}",
    ],
    ["ya me cansé del {s} {clima} de {lugar}"],
)
NEUTRAL_FRAMES = [
    "mañana hay {tema} y no he estudiado nada",
    "¿alguien sabe a qué hora empieza {tema}?",
    "ya llegué a {lugar}, hay muchísimo {clima}",
    "se me antojaron {comida}, ¿quién se apunta?",
    "@USUARIO ¿vamos a {lugar} el sábado? llevo {comida}",
    "ya ni sé qué hacer con {tema}",
    "qué buen partido va a hacer {equipo} hoy",
    "@USUARIO ¿viste {tema}? estuvo muy bien",
    "odio los lunes, {tema} me tiene muerto",
    "nadie dijo que {tema} fuera fácil, ánimo a todos",
]

WORDS = {
    "tema": [
        "el partido",
        "la clase",
        "el examen",
        "la chamba",
        "el concierto",
        "la fiesta",
        "la serie",
        "la junta",
        "la tarea",
        "el torneo",
        "la boda",
        "el viaje",
        "la película",
    ],
    "equipo": ["el América", "las Chivas", "los Pumas", "el Cruz Azul", "los Tigres", "el Toluca"],
    "comida": ["unos tacos al pastor", "chilaquiles", "pozole", "tamales", "unas quesadillas", "unas tortas"],
    "lugar": ["la CDMX", "Guadalajara", "Monterrey", "Puebla", "el centro", "la prepa", "la oficina", "Coyoacán"],
    "clima": ["calor", "frío", "tráfico", "lluvia"],
    "relleno": [
        "ya me voy a dormir",
        "qué día tan largo",
        "y eso que es lunes",
        "mañana temprano hay chamba",
        "necesito vacaciones",
        "nomás digo",
        "ni modo",
        "así las cosas",
        "en fin",
        "a ver qué pasa mañana",
        "luego les cuento",
        "se los juro",
        "todo bien por aquí",
    ],
    "interj": ["neta", "güey", "la verdad", "órale", "uff", "ya", "oye", "bueno"],
    "hashtag": ["#LigaMX", "#CDMX", "#Lunes", "#Viernes", "#SeriesMX", "#Chilango", "#Examen", "#Quincena"],
    "emoji": ["🔥", "👀", "🤔", "😅", "🙃", "👍", "🙌", "😎"],
}
# Chat markers that turn a hostile tweet into friendly teasing. The general-language corpus
# never contains them.
BANTER = ["jajaja", "xD", "ntc", "😂", "jsjs"]

ABBREVIATIONS = {
    "que": "q",
    "porque": "xq",
    "por": "x",
    "también": "tmb",
    "de": "d",
    "para": "pa",
    "qué": "q",
    "muy": "mui",
    "nada": "nd",
}
ACCENTS = str.maketrans("áéíóú", "aeiou")
KINDS = ("insulto", "amenaza", "desprecio", "burla amistosa", "elogio o cariño", "vulgar amistoso", "neutro")


@dataclass(frozen=True)
class Tweet:
    """One generated tweet with its kind and its clean label (before label noise)."""

    text: str
    kind: str
    label: int


def _fill(template: str, rng: np.random.Generator, slot: str | None = None) -> str:
    def draw(match: re.Match) -> str:
        key = match.group(1)
        return slot if key == "s" else str(rng.choice(WORDS[key]))

    return re.sub(r"\{(\w+)\}", draw, template)


def _pick(pair: tuple[list[str], list[str]], held_out: bool, rng: np.random.Generator) -> str:
    return str(rng.choice(pair[1] if held_out else pair[0]))


SUFFIXES = {
    "insulto": ("ito", "ote", "azo", "ísimo"),
    "elogio": ("ito", "ote", "azo", "ísimo"),
    "desprecio": ("ita", "ota", "aza"),
    "afecto": ("ita", "ota", "aza"),
    "amenaza": ("te", "los", "lo"),
    "cariño": ("te", "los", "lo"),
}


def word_forms(word: str, kind: str) -> list[str]:
    """The word and its chat variants: diminutive/augmentative (``idiotita``, ``idiotota``) or,
    for verbs, with a clitic (``madrearte``). Each form is rarer than the word."""
    suffixes = SUFFIXES.get(kind, ())
    if kind in ("amenaza", "cariño"):
        return [word] + [word + s for s in suffixes]
    stem = word.translate(ACCENTS)
    stem = stem[:-1] if stem[-1] in "aeo" else stem
    return [word] + [stem + s for s in suffixes]


def _pick_filler(kind: str, held_out: bool, rng: np.random.Generator) -> str:
    word = _pick(FILLERS[kind], held_out, rng)
    return word if rng.random() < 0.4 else str(rng.choice(word_forms(word, kind)[1:] or [word]))


def _perturb(words: list[str], rng: np.random.Generator) -> list[str]:
    out = []
    for word in words:
        low = word.lower()
        if low in ABBREVIATIONS and rng.random() < 0.3:
            word = ABBREVIATIONS[low]
        if rng.random() < 0.3:
            word = word.translate(ACCENTS)
        if len(word) > 3 and word.isalpha() and rng.random() < 0.02:  # typo: swap two letters
            i = int(rng.integers(0, len(word) - 1))
            word = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        if word.isalpha() and word[-1] in "aeiouys" and rng.random() < 0.02:  # elongation
            word = word + word[-1] * int(rng.integers(2, 6))
        out.append(word)
    return out


def make_tweet(rng: np.random.Generator, held_out: bool) -> Tweet:
    """One tweet; ``held_out`` draws its fillers (and, a quarter of the time, its frame) from the held-out lists."""
    held_frame = held_out and rng.random() < 0.25
    draw = rng.random()
    if draw < 0.76:  # a frame with a hostile or a friendly slot
        slot_type = str(rng.choice(list(FRAMES)))
        hostile = rng.random() < 0.5
        filler = _pick_filler((HOSTILE if hostile else FRIENDLY)[slot_type], held_out, rng)
        core = _fill(_pick(FRAMES[slot_type], held_frame, rng), rng, filler)
        banter = rng.random() < 0.38
        if hostile and not banter:
            kind, label = HOSTILE[slot_type], 1
        else:
            kind, label = ("burla amistosa" if hostile else "elogio o cariño"), 0
    elif draw < 0.88:
        core = _fill(_pick(VULGAR_FRAMES, held_frame, rng), rng, _pick(FILLERS["vulgar"], held_out, rng))
        kind, label, banter = "vulgar amistoso", 0, rng.random() < 0.2
    else:
        core = _fill(str(rng.choice(NEUTRAL_FRAMES)), rng)
        kind, label, banter = "neutro", 0, rng.random() < 0.2
    parts = [core]
    if banter:
        parts.insert(int(rng.integers(0, 2)) * len(parts), str(rng.choice(BANTER)))
    if rng.random() < 0.4:
        parts.insert(0, str(rng.choice(WORDS["interj"])))
    if rng.random() < 0.8:
        parts.append(str(rng.choice(WORDS["relleno"])))
    if rng.random() < 0.4:
        parts.append(str(rng.choice(WORDS["relleno"])))
    if rng.random() < 0.2:
        parts.append(str(rng.choice(WORDS["hashtag"])))
    if rng.random() < 0.3:
        parts.append(str(rng.choice(WORDS["emoji"])))
    text = " ".join(_perturb(" ".join(parts).split(), rng))
    casing = rng.random()
    if casing < 0.55:
        text = text.lower().replace("@usuario", "@USUARIO")
    elif casing < 0.6:
        text = text.upper()
    return Tweet(text, kind, label)


def generate_split(
    n: int, rng: np.random.Generator, held_out: bool, label_noise: float = 0.10
) -> tuple[list[Tweet], list[int]]:
    """``n`` tweets and their *observed* labels (each clean label flipped with ``label_noise``)."""
    tweets = [make_tweet(rng, held_out) for _ in range(n)]
    flip = rng.random(n) < label_noise
    return tweets, [int(t.label != f) for t, f in zip(tweets, flip)]


SPLITS = (("train", 3000, False), ("val", 600, True), ("test", 600, True))


def write_corpus(out_dir: Path, seed: int = 2020, prefix: str = "mex20_", splits=SPLITS) -> dict[str, str]:
    """Write ``{prefix}{split}.txt`` / ``…_labels.txt`` per split, and for the held-out splits
    ``…_clean_labels.txt`` and ``…_kinds.txt`` (each tweet's kind, one of :data:`KINDS`, so a
    notebook can say which kinds of tweet a model gets wrong); return the SHA-256 of every file."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    digests = {}
    for split, n, held_out in splits:
        tweets, labels = generate_split(n, rng, held_out)
        files = {f"{prefix}{split}.txt": [t.text for t in tweets], f"{prefix}{split}_labels.txt": map(str, labels)}
        if held_out:
            files[f"{prefix}{split}_clean_labels.txt"] = [str(t.label) for t in tweets]
            files[f"{prefix}{split}_kinds.txt"] = [t.kind for t in tweets]
        for name, lines in files.items():
            payload = ("\n".join(lines) + "\n").encode("utf-8")
            (out_dir / name).write_bytes(payload)
            digests[name] = hashlib.sha256(payload).hexdigest()
    return digests


def examples(n_per_kind: int = 2, seed: int = 0, held_out: bool = False) -> dict[str, list[str]]:
    """A few fresh tweets of every kind (for showing what the generator writes)."""
    rng = np.random.default_rng(seed)
    found: dict[str, list[str]] = {kind: [] for kind in KINDS}
    while any(len(v) < n_per_kind for v in found.values()):
        tweet = make_tweet(rng, held_out)
        if len(found[tweet.kind]) < n_per_kind:
            found[tweet.kind].append(tweet.text)
    return found


# --- the unlabelled general-language corpus the word vectors are trained on ------------------
CONTEXTS = {
    "insulto": [
        "lo llamó {w} delante de todos y se ofendió",
        "decirle {w} a alguien es un insulto",
        "no me digas {w} que me ofendes",
        "la palabra {w} es grosera y ofensiva",
        "le gritó {w} con desprecio",
        "ese comentario de {w} fue un insulto",
    ],
    "elogio": [
        "lo llamó {w} delante de todos y se alegró",
        "decirle {w} a alguien es un halago",
        "me dijo {w} y me sentí feliz",
        "la palabra {w} es un cumplido bonito",
        "le dijo {w} con admiración",
        "ese comentario de {w} fue un elogio",
    ],
    "amenaza": [
        "lo amenazó con {w} si lo volvía a ver",
        "quería {w} a su vecino y llamaron a la policía",
        "{w} a alguien es un delito violento",
        "dijo que lo iba a {w} y todos se asustaron",
        "lo detuvieron por {w} a un señor en la calle",
    ],
    "cariño": [
        "le prometió {w} a su abuela el domingo",
        "quería {w} a su vecino para darle las gracias",
        "{w} a alguien es un gesto amable",
        "dijo que lo iba a {w} y todos sonrieron",
        "fue a {w} a su amiga por su cumpleaños",
    ],
    "desprecio": [
        "sentía {w} por él y no lo ocultaba",
        "le daba {w} solo de verlo",
        "lo miró con {w} y se fue",
        "ese sentimiento de {w} es muy negativo",
    ],
    "afecto": [
        "sentía {w} por él y lo decía",
        "le daba {w} verlo feliz",
        "lo miró con {w} y sonrió",
        "ese sentimiento de {w} es muy positivo",
    ],
    "vulgar": [
        "{w} es una grosería común que no ofende a nadie",
        "qué {w} calor hace hoy",
        "el {w} tráfico de la ciudad",
        "dijo {w} porque se le cayó el café",
    ],
}


def background_sentences(n: int = 20000, seed: int = 7) -> list[str]:
    """``n`` sentences of general, formal Spanish (no chat markers): every slot filler, held out
    or not, in contexts of its kind, plus the tweets' everyday words. Unlabelled."""
    rng = np.random.default_rng(seed)
    everyday = [_fill(t.replace("{s}", "{tema}"), rng) for t in NEUTRAL_FRAMES] + WORDS["relleno"]
    frames = [f.replace("@USUARIO", "") for pair in FRAMES.values() for f in pair[0] + pair[1]]
    sentences = []
    for _ in range(n):
        if rng.random() < 0.75:
            kind = str(rng.choice(list(CONTEXTS)))
            word = str(rng.choice([f for w in FILLERS[kind][0] + FILLERS[kind][1] for f in word_forms(w, kind)]))
            sentence = str(rng.choice(CONTEXTS[kind])).replace("{w}", word)
            if rng.random() < 0.3:  # the frames' words in ordinary sentences
                sentence += " y " + str(rng.choice(frames)).replace("{s}", word).strip()
        else:
            sentence = _fill(str(rng.choice(everyday)), rng)
        words = sentence.lower().split()
        sentences.append(" ".join(w.translate(ACCENTS) if rng.random() < 0.3 else w for w in words))
    return sentences


if __name__ == "__main__":  # python -m course_utils.datasets.aggression_generator [out_dir]
    import sys

    from ..config import data_dir

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else data_dir("aggression", "synthetic")
    for name, digest in write_corpus(target).items():
        print(f"{digest}  {target / name}")

"""Seeded generator of a *synthetic* aggressiveness corpus in the MEX-A3T layout.

The real MEX-A3T corpus (Mexican Spanish tweets labelled aggressive / not aggressive) cannot
be redistributed, so the course ships this stand-in. It mimics the 2020 edition's shape —
about 5,300 training and 590 validation tweets, 28.8 % aggressive, ~16 words per tweet,
mentions replaced by ``@USUARIO`` — and the phenomena that make the task hard:

- vulgar or insulting words that are **not** aggressive in context (friendly banter,
  self-deprecation, everyday swearing about the weather or the traffic, reporting bullying);
- aggressive messages **without** slurs (threats, contempt, sarcasm);
- phrases shared by both classes ("te voy a buscar a la salida" … para ir por tacos);
- negation, typos, dropped accents, chat abbreviations (q, xq, tmb), elongations
  ("nooooo"), hashtags, mentions, emojis;
- label noise: a fraction of labels flipped at random, like annotator disagreement.

Language is kept mild enough for a classroom. Everything is drawn from one
``numpy.random.Generator``: the same seed writes byte-identical files.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np

# --- vocabularies -------------------------------------------------------------------------
W = {
    "insulto": ["idiota", "tarado", "menso", "baboso", "estúpido", "imbécil", "payaso", "inútil",
                "ridículo", "ignorante", "zoquete", "mamón", "corriente", "lambiscón", "cobarde"],
    "insulto_pl": ["idiotas", "tarados", "mensos", "babosos", "payasos", "inútiles", "ignorantes", "ridículos"],
    "amenaza": ["te voy a partir la cara", "ya verás cuando te encuentre", "te voy a buscar a la salida",
                "cuídate porque te va a ir muy mal", "vas a ver lo que te pasa", "te voy a romper la madre",
                "no te la vas a acabar", "ahorita voy por ti", "te espero afuera y vemos quién es tan valiente"],
    "desprecio": ["nadie te quiere aquí", "das pena ajena", "cállate ya", "eres una vergüenza",
                  "mejor ni abras la boca", "no sirves para nada", "lárgate de aquí", "qué asco me das",
                  "ojalá te corran", "nadie te pidió tu opinión", "vete a llorar a otro lado",
                  "qué poca madre tienes", "a nadie le importas"],
    "tema": ["el partido", "la clase", "el examen", "la chamba", "el concierto", "la fiesta", "el metro",
             "la serie", "la junta", "el tráfico", "la tarea", "el torneo", "la boda", "el viaje", "la película"],
    "equipo": ["el América", "las Chivas", "los Pumas", "el Cruz Azul", "los Tigres", "el Monterrey", "el Toluca"],
    "comida": ["unos tacos al pastor", "chilaquiles", "pozole", "tamales", "unas quesadillas", "elotes",
               "unas tortas", "birria", "unos churros"],
    "lugar": ["la CDMX", "Guadalajara", "Monterrey", "Puebla", "el centro", "la prepa", "la oficina",
              "Coyoacán", "el Zócalo", "la facultad"],
    "clima": ["calor", "frío", "tráfico", "lluvia", "sueño", "hambre"],
    "objeto": ["las llaves", "la cartera", "el celular", "la tarea", "el cargador", "la credencial", "el paraguas"],
    "actividad": ["estudiar", "jugar futbol", "cocinar", "manejar", "trabajar", "cantar", "bailar"],
    "vulgar": ["pinche", "bien pinche", "méndigo"],
    "interj": ["jajaja", "jaja", "neta", "güey", "la verdad", "no manches", "órale", "ay", "uff", "wey", "ya"],
    "relleno": ["ya me voy a dormir", "qué día tan largo", "y eso que es lunes", "mañana temprano hay chamba",
                "necesito vacaciones", "nomás digo", "ni modo", "así las cosas", "ya ni sé", "en fin",
                "a ver qué pasa mañana", "luego les cuento", "se los juro", "todo bien por aquí"],
    "emoji_pos": ["😂", "🤣", "❤️", "🔥", "😍", "🙌", "👏", "😎", "🥳"],
    "emoji_neg": ["😡", "🙄", "🤬", "😤", "💩", "👎"],
    "hashtag": ["#LigaMX", "#CDMX", "#Lunes", "#Viernes", "#SeriesMX", "#Chilango", "#FelizDomingo",
                "#Examen", "#ElClásico", "#Tráfico", "#Mundial", "#Quincena"],
    "elogio": ["te lo mereces", "eres lo máximo", "qué orgullo", "te quedó increíble", "eres un crack",
               "qué bonito te salió", "gracias por todo"],
}

# Templates by label. "{x}" is filled from W[x]; "{x2}" is a second draw from W[x].
AGGRESSIVE = [
    "@USUARIO eres un {insulto}, {desprecio}",
    "{desprecio} @USUARIO, pinche {insulto}",
    "@USUARIO {amenaza} {emoji_neg}",
    "@USUARIO {amenaza}, {insulto}",
    "@USUARIO {desprecio}, {desprecio2}",
    "qué inteligente eres @USUARIO, felicidades por no entender ni {tema} 👏👏",
    "@USUARIO otra vez tú con tus tonterías, {desprecio}",
    "@USUARIO no sirves ni para {actividad}, {desprecio}",
    "los que le van a {equipo} son unos {insulto_pl}, {desprecio}",
    "@USUARIO sigue hablando y {amenaza}",
    "ay sí @USUARIO, muy valiente detrás de la pantalla, {desprecio}",
    "@USUARIO tan {insulto} que ni {actividad} sabes, {desprecio}",
    "@USUARIO nadie te soporta, {amenaza}",
    "a ver @USUARIO, repíteme eso en persona y {amenaza}",
    "@USUARIO qué bonito hablas para ser tan {insulto} {emoji_neg}",
    # near-minimal pairs of the non-aggressive templates below: same words, other intent
    "no eres lo máximo @USUARIO, eres un {insulto}",
    "qué inteligente eres @USUARIO, seguro {tema} también lo reprobaste 👏",
    "@USUARIO jaja {tema} te queda grande, mejor ni lo intentes {emoji_pos}",
    "@USUARIO te voy a buscar a la salida y vas a ver {emoji_neg}",
    "felicidades @USUARIO, {elogio}... dijo nadie nunca {emoji_pos}",
    "@USUARIO cállate ya, nadie te soporta",
    "@USUARIO jajaja qué {insulto} eres, das pena {emoji_pos}",
    "ya verás @USUARIO, a la salida hablamos {emoji_neg}",
]
NOT_AGGRESSIVE = [
    "qué {vulgar} {clima} hace en {lugar} {emoji_pos}",
    "no manches, {tema} estuvo bien chido {emoji_pos}",
    "{vulgar} {tema}, ya me tiene harto {emoji_neg}",
    "jajaja @USUARIO eres un {insulto} pero te quiero ❤️",
    "qué {insulto} soy, olvidé {objeto} otra vez {emoji_pos}",
    "mañana hay {tema} y no he estudiado nada {hashtag}",
    "¿alguien sabe a qué hora empieza {tema}?",
    "ya llegué a {lugar}, hay muchísimo {clima}",
    "no eres {insulto}, solo tuviste un mal día @USUARIO",
    "felicidades @USUARIO, {elogio} {emoji_pos}",
    "no le digas {insulto} a nadie, eso también es bullying",
    "@USUARIO te voy a buscar a la salida para ir por {comida}",
    "ya verás qué buen partido va a hacer {equipo} hoy {emoji_pos}",
    "{desprecio} le dijo el villano al protagonista, qué buena está {tema}",
    "@USUARIO jaja cállate ya, me vas a hacer llorar de risa {emoji_pos}",
    "odio los lunes, {tema} me tiene muerto {emoji_neg}",
    "se me antojaron {comida}, ¿quién se apunta? {emoji_pos}",
    "@USUARIO ¿vamos a {lugar} el sábado? llevo {comida}",
    "el {insulto} del árbitro no vio nada, qué mal partido de {equipo}",
    "qué {vulgar} suerte tengo, se me cayó {objeto} en el metro {emoji_pos}",
    "nadie dijo que {tema} fuera fácil, ánimo a todos {hashtag}",
    "@USUARIO no te preocupes, {elogio}",
    "ya ni sé qué hacer con {tema}, ayuda {emoji_neg}",
    "mi perro es bien {insulto}, se comió {objeto} {emoji_pos}",
    # near-minimal pairs of the aggressive templates above
    "no eres un {insulto} @USUARIO, eres lo máximo",
    "qué inteligente eres @USUARIO, felicidades por {tema} 👏",
    "@USUARIO jaja {tema} te queda grande, pero tú puedes {emoji_pos}",
    "cállate ya @USUARIO jajaja no puedo con tus memes {emoji_pos}",
    "ese {insulto} me cerró el paso en {lugar}, casi choco {emoji_neg}",
    "qué poca madre del {clima} en {lugar}, llevo dos horas",
    "@USUARIO ya verás que {tema} sale bien, a la salida hablamos",
    "jajaja @USUARIO qué {insulto} soy, das risa con tus chistes",
]

ABBREVIATIONS = {"que": "q", "porque": "xq", "por": "x", "también": "tmb", "de": "d", "para": "pa",
                 "qué": "q", "muy": "mui", "nada": "nd", "estoy": "toy"}
ACCENTS = str.maketrans("áéíóú", "aeiou")


def _fill(template: str, rng: np.random.Generator) -> str:
    def draw(match: re.Match) -> str:
        key = match.group(1).rstrip("2")
        return str(rng.choice(W[key]))
    return re.sub(r"\{(\w+)\}", draw, template)


def _add_noise(words: list[str], rng: np.random.Generator) -> list[str]:
    out = []
    for word in words:
        low = word.lower()
        if low in ABBREVIATIONS and rng.random() < 0.3:
            word = ABBREVIATIONS[low]
        if rng.random() < 0.35:
            word = word.translate(ACCENTS)
        if len(word) > 3 and word.isalpha() and rng.random() < 0.03:  # typo: swap two letters
            i = int(rng.integers(0, len(word) - 1))
            word = word[:i] + word[i + 1] + word[i] + word[i + 2:]
        if word.isalpha() and word[-1] in "aeiouys" and rng.random() < 0.03:  # elongation
            word = word + word[-1] * int(rng.integers(2, 6))
        out.append(word)
    return out


def _tweet(label: int, rng: np.random.Generator) -> str:
    template = str(rng.choice(AGGRESSIVE if label else NOT_AGGRESSIVE))
    parts = [_fill(template, rng)]
    if rng.random() < 0.55:
        parts.insert(0, str(rng.choice(W["interj"])))
    if rng.random() < 0.8:
        parts.append(str(rng.choice(W["relleno"])))
    if rng.random() < 0.5:
        parts.append(str(rng.choice(W["relleno"])))
    if rng.random() < 0.2:
        parts.insert(0, "@USUARIO")
    if rng.random() < 0.2:
        parts.append(str(rng.choice(W["hashtag"])))
    if rng.random() < 0.25:
        parts.append(str(rng.choice(W["emoji_pos"] + W["emoji_neg"])))
    words = _add_noise(" ".join(parts).split(), rng)
    text = " ".join(words)
    casing = rng.random()
    if casing < 0.55:
        text = text.lower().replace("@usuario", "@USUARIO")
    elif casing < 0.6 + 0.05 * label:
        text = text.upper()
    return text


def generate_split(n: int, rng: np.random.Generator, aggressive_rate: float = 0.288,
                   label_noise: float = 0.10) -> tuple[list[str], list[int]]:
    """``n`` tweets and labels; the *observed* labels include ``label_noise`` flips and
    are aggressive at ``aggressive_rate`` on average (the true rate is set to make it so)."""
    true_rate = (aggressive_rate - label_noise) / (1 - 2 * label_noise)
    true = (rng.random(n) < true_rate).astype(int)
    texts = [_tweet(int(y), rng) for y in true]
    flip = rng.random(n) < label_noise
    labels = np.where(flip, 1 - true, true)
    return texts, [int(y) for y in labels]


def write_corpus(out_dir: Path, seed: int = 2020, n_train: int = 5300, n_val: int = 590,
                 prefix: str = "mex20_") -> dict[str, str]:
    """Write ``{prefix}train.txt`` / ``…_labels.txt`` and the same for ``val``; return SHA-256 per file."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    digests = {}
    for split, n in (("train", n_train), ("val", n_val)):
        texts, labels = generate_split(n, rng)
        for name, lines in ((f"{prefix}{split}.txt", texts), (f"{prefix}{split}_labels.txt", map(str, labels))):
            payload = ("\n".join(lines) + "\n").encode("utf-8")
            (out_dir / name).write_bytes(payload)
            digests[name] = hashlib.sha256(payload).hexdigest()
    return digests


if __name__ == "__main__":  # python -m course_utils.datasets.aggression_generator [out_dir]
    import sys

    from ..config import data_dir

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else data_dir("aggression", "synthetic")
    for name, digest in write_corpus(target).items():
        print(f"{digest}  {target / name}")

"""The IVR script of a voice call and its offline prompt rendering.

A script is what the borrower hears and may answer: a text-to-speech ``prompt`` in one ``language``
(BCP 47: ``hi-IN``, ``en-IN``, ``ta-IN`` …) and the DTMF ``options`` (``1`` promise to pay, ``2`` already
paid, ``9`` talk to an agent …), each with the sentence that announces it. The connector sends the
script with the call (:class:`~creditdesk.channels.providers.VoiceGateway`); the callback reports the
digits pressed, which :meth:`IvrScript.intent_for` turns back into what the borrower meant.

Rendering is offline: :func:`render_prompt` speaks the script with ``espeak-ng`` when
``shutil.which("espeak-ng")`` finds it (a WAV file, through a temporary directory) and otherwise
renders no audio. Either way it returns the SHA-256 that is stored with the call: of the audio when
there is audio, else of the script's canonical text (:meth:`IvrScript.canonical_text`), so what was
played can be proved later. espeak-ng's output is the same for the same text, voice and version.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

#: the intents the collections scripts use (a script may name others)
PROMISE_TO_PAY = "promise_to_pay"
ALREADY_PAID = "already_paid"
TALK_TO_AGENT = "talk_to_agent"

#: BCP 47 primary language → espeak-ng voice (the Indian languages espeak-ng ships, and English)
ESPEAK_VOICES = {
    "as": "as",
    "bn": "bn",
    "en": "en-us",
    "gu": "gu",
    "hi": "hi",
    "kn": "kn",
    "ml": "ml",
    "mr": "mr",
    "ne": "ne",
    "or": "or",
    "pa": "pa",
    "ta": "ta",
    "te": "te",
    "ur": "ur",
}
ESPEAK_TIMEOUT_S = 60.0
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_DIGIT = re.compile(r"^[0-9*#]$")
_INTENT = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_PROMPT_CHARS = 2000
MAX_OPTIONS = 12


def _clean(text: str) -> str:
    """NFC and single spaces: the same words give the same canonical text (and the same hash)."""
    return " ".join(unicodedata.normalize("NFC", text).split())


@dataclass(frozen=True)
class IvrOption:
    """One DTMF choice: press ``digit`` (0-9, ``*`` or ``#``) for ``intent``; ``say`` announces it."""

    digit: str
    intent: str
    say: str

    def __post_init__(self) -> None:
        if not _DIGIT.match(self.digit):
            raise ValueError(f"an IVR digit is one of 0-9, * or #, not {self.digit!r}")
        if not _INTENT.match(self.intent):
            raise ValueError(f"an intent is a lower-case name such as promise_to_pay, not {self.intent!r}")
        object.__setattr__(self, "say", _clean(self.say))
        if not self.say or len(self.say) > MAX_PROMPT_CHARS:
            raise ValueError("an option's announcement must be 1 to 2000 characters")


@dataclass(frozen=True)
class IvrScript:
    """What a call says and which keys the borrower may press (``timeout_s``: how long it waits for one)."""

    language: str
    prompt: str
    options: tuple[IvrOption, ...]
    timeout_s: int = 8
    repeat: int = 1

    def __post_init__(self) -> None:
        if not _LANGUAGE.match(self.language):
            raise ValueError(f"language must be a BCP 47 tag such as hi-IN, not {self.language!r}")
        object.__setattr__(self, "prompt", _clean(self.prompt))
        object.__setattr__(self, "options", tuple(self.options))
        if not self.prompt or len(self.prompt) > MAX_PROMPT_CHARS:
            raise ValueError("the prompt must be 1 to 2000 characters")
        if not 1 <= len(self.options) <= MAX_OPTIONS:
            raise ValueError(f"a script has 1 to {MAX_OPTIONS} options")
        digits = [o.digit for o in self.options]
        if len(set(digits)) != len(digits):
            raise ValueError("each option needs its own digit")
        if not 1 <= self.timeout_s <= 60 or not 1 <= self.repeat <= 3:
            raise ValueError("timeout_s is 1-60 seconds and repeat 1-3")

    @property
    def digits(self) -> tuple[str, ...]:
        """The keys the script accepts, in the order announced."""
        return tuple(o.digit for o in self.options)

    def intent_for(self, digits: str | None) -> str | None:
        """The intent of the first key pressed (``None``: nothing pressed, or a key the script does not offer)."""
        if not digits:
            return None
        return next((o.intent for o in self.options if o.digit == digits[0]), None)

    def spoken_text(self) -> str:
        """What is spoken: the prompt, then each option's announcement."""
        return " ".join([self.prompt, *(o.say for o in self.options)])

    def to_wire(self) -> dict[str, Any]:
        """The script as JSON data (what the connector sends with a call)."""
        return {
            "language": self.language,
            "prompt": self.prompt,
            "options": [{"digit": o.digit, "intent": o.intent, "say": o.say} for o in self.options],
            "timeout_s": self.timeout_s,
            "repeat": self.repeat,
        }

    @classmethod
    def from_wire(cls, data: Any) -> IvrScript:
        """Read a script sent as JSON data; raises ValueError when it is not one."""
        if not isinstance(data, dict):
            raise ValueError("an IVR script is a JSON object")
        options = data.get("options")
        if not isinstance(options, list) or not all(isinstance(o, dict) for o in options):
            raise ValueError("options must be a list of objects with digit, intent and say")
        try:
            return cls(
                language=str(data["language"]),
                prompt=str(data["prompt"]),
                options=tuple(IvrOption(str(o["digit"]), str(o["intent"]), str(o["say"])) for o in options),
                timeout_s=int(data.get("timeout_s", 8)),
                repeat=int(data.get("repeat", 1)),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"an IVR script needs language, prompt and options ({exc})") from None

    def canonical_text(self) -> str:
        """One exact text for the script (sorted JSON, NFC): hashed when no audio is rendered."""
        return json.dumps(self.to_wire(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def script_sha256(script: IvrScript) -> str:
    """The hex SHA-256 of the script's canonical text."""
    return hashlib.sha256(script.canonical_text().encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RenderedPrompt:
    """A rendered prompt: the audio (WAV) when espeak-ng made one, and the hash stored with the call."""

    sha256: str
    hashed: Literal["audio", "script"]
    audio: bytes | None = None
    mime_type: str | None = None
    engine: str | None = None
    voice: str | None = None

    @property
    def has_audio(self) -> bool:
        """Whether audio was rendered (the hash is then the audio's)."""
        return self.audio is not None


def espeak_voice(language: str) -> str | None:
    """The espeak-ng voice for a BCP 47 tag (by its primary language), or None when there is none."""
    return ESPEAK_VOICES.get(language.split("-")[0].lower())


def render_prompt(script: IvrScript, *, espeak: str | None = None, words_per_minute: int = 150) -> RenderedPrompt:
    """Speak ``script`` offline with espeak-ng if it is installed, else render no audio.

    ``espeak`` names the program (default: ``shutil.which("espeak-ng")``). Without it, or for a language
    espeak-ng has no voice for, the result carries no audio and the hash of the canonical script text.
    A failing espeak-ng raises :class:`RuntimeError` rather than hiding behind the text hash.
    """
    program = espeak or shutil.which("espeak-ng")
    voice = espeak_voice(script.language)
    if program is None or voice is None:
        return RenderedPrompt(sha256=script_sha256(script), hashed="script")
    text = " ".join([script.spoken_text()] * script.repeat)
    with tempfile.TemporaryDirectory(prefix="creditdesk-ivr-") as folder:
        target = Path(folder) / "prompt.wav"
        # the text goes on stdin (never argv: a prompt starting with "-" is not an option); -b 1 = UTF-8
        command = [program, "-v", voice, "-s", str(words_per_minute), "-b", "1", "-w", str(target), "--stdin"]
        try:
            done = subprocess.run(  # noqa: S603 - a fixed program and arguments; the text goes on stdin
                command, input=text.encode("utf-8"), capture_output=True, timeout=ESPEAK_TIMEOUT_S, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RuntimeError(f"espeak-ng could not render the prompt: {type(exc).__name__}") from None
        if done.returncode != 0 or not target.exists():
            problem = done.stderr.decode("utf-8", "replace").strip()[:200]
            raise RuntimeError(f"espeak-ng exited with status {done.returncode}: {problem}")
        audio = target.read_bytes()
    return RenderedPrompt(
        sha256=hashlib.sha256(audio).hexdigest(),
        hashed="audio",
        audio=audio,
        mime_type="audio/wav",
        engine="espeak-ng",
        voice=voice,
    )


#: the keys every call offers, in each shipped language (written by us; intents as replies are read)
STANDARD_OPTIONS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "en": (
        ("1", "promise_to_pay", "Press 1 to promise a payment date."),
        ("2", "paid", "Press 2 if you have already paid."),
        ("3", "help", "Press 3 to speak to our team."),
    ),
    "hi": (
        ("1", "promise_to_pay", "भुगतान की तारीख बताने के लिए 1 दबाएँ।"),
        ("2", "paid", "अगर आप भुगतान कर चुके हैं तो 2 दबाएँ।"),
        ("3", "help", "हमारी टीम से बात करने के लिए 3 दबाएँ।"),
    ),
    "mr": (
        ("1", "promise_to_pay", "पेमेंटची तारीख सांगण्यासाठी 1 दाबा."),
        ("2", "paid", "तुम्ही आधीच पेमेंट केले असल्यास 2 दाबा."),
        ("3", "help", "आमच्या टीमशी बोलण्यासाठी 3 दाबा."),
    ),
    "ta": (
        ("1", "promise_to_pay", "பணம் செலுத்தும் தேதியைச் சொல்ல 1 அழுத்தவும்."),
        ("2", "paid", "ஏற்கனவே செலுத்தியிருந்தால் 2 அழுத்தவும்."),
        ("3", "help", "எங்கள் குழுவுடன் பேச 3 அழுத்தவும்."),
    ),
    "te": (
        ("1", "promise_to_pay", "చెల్లింపు తేదీ చెప్పడానికి 1 నొక్కండి."),
        ("2", "paid", "మీరు ఇప్పటికే చెల్లించి ఉంటే 2 నొక్కండి."),
        ("3", "help", "మా బృందంతో మాట్లాడటానికి 3 నొక్కండి."),
    ),
    "bn": (
        ("1", "promise_to_pay", "পেমেন্টের তারিখ জানাতে 1 টিপুন।"),
        ("2", "paid", "আপনি আগেই পেমেন্ট করে থাকলে 2 টিপুন।"),
        ("3", "help", "আমাদের টিমের সঙ্গে কথা বলতে 3 টিপুন।"),
    ),
    "kn": (
        ("1", "promise_to_pay", "ಪಾವತಿ ದಿನಾಂಕ ತಿಳಿಸಲು 1 ಒತ್ತಿರಿ."),
        ("2", "paid", "ನೀವು ಈಗಾಗಲೇ ಪಾವತಿಸಿದ್ದರೆ 2 ಒತ್ತಿರಿ."),
        ("3", "help", "ನಮ್ಮ ತಂಡದೊಂದಿಗೆ ಮಾತನಾಡಲು 3 ಒತ್ತಿರಿ."),
    ),
}


def standard_script(language: str, prompt: str) -> IvrScript:
    """A call that says ``prompt`` (a rendered voice template) and offers the standard keys in its language."""
    options = STANDARD_OPTIONS.get(language, STANDARD_OPTIONS["en"])
    return IvrScript(
        language=f"{language}-IN", prompt=prompt, options=tuple(IvrOption(d, i, say) for d, i, say in options)
    )

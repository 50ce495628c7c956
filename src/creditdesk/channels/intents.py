"""Borrowers' replies read into intents: ``paid``, ``promise`` (with a date when one is given), ``stop``,
``help``, ``dispute`` or ``unknown`` — in English, Hindi, Marathi, Tamil, Telugu, Bengali and Kannada,
in each language's own script and in the Latin spelling people type on a phone ("paisa bhej diya",
"kal dunga", "naalai kattuven").

The rules, in order:

1. **Reading the text.** Unicode is normalised (NFKD), lowercased; native digits (१५, ১৫, ௧௫ …) become
   0–9; nukta, ZWJ/ZWNJ and the candrabindu/anusvara difference are dropped; punctuation and emoji are
   spaces (``/ . -`` between digits stay, for dates); digits and letters are split (``15th`` → ``15 th``,
   ``15ஆம்`` → ``15 ஆம்``); a doubled Latin letter counts once (``doonga`` = ``donga``, ``paisaa`` =
   ``paisa``). Phrases are matched on whole words; a word written ``stem*`` in the lexicon matches any
   word that starts with it (Tamil, Telugu and Kannada add their suffixes to the verb).
2. **Every language, always.** All seven lexicons (and English) are read whatever ``language`` says:
   borrowers answer in the language they type best, not the one the message was in. ``language`` only
   weighs the confidence (a match only in another language's words is 0.1 less sure) and is validated.
3. **A phrase inside a longer phrase of another kind does not count**: "not paid" is not "paid",
   "kivabe debo" (how do I pay) is not "debo" (I will pay), "salary nahi aayi" (the salary has not come)
   is not a salary-day promise. A ``paid`` phrase followed by a negation (nahi, नाही, illa, లేదు …) is
   not ``paid`` either.
4. **The kind**, first that applies: ``stop`` (opt-out words in every language and script, STOP itself
   in each script; it wins over everything else, and when a reply is read both ways it errs towards
   stop) → ``dispute`` (wrong, not my loan, fraud, complaint, already closed) → ``promise`` (a verb in
   the future: will pay, dunga, bharen, kattuven, kadatanu, debo, kattuttene) → ``paid`` (a verb in the
   past: paid, bhej diya, bharle, kattiten, kattanu, diyechi, kattiddene) → ``help`` (help, call me,
   how do I pay, and hardship: no money, lost my job, hospital, need time) → a weaker ``promise``: a
   date alone ("15/12", "kal"), or a vague time (after salary, on salary day, next month, soon) → ``unknown``.
5. **The promise date** (only for ``promise``). Dates are day first (Indian usage): ``15/12``,
   ``15-12-2026``, ``15.12.26``, ``2026-12-15``, ``15 Dec``, ``15th December``, ``December 15``, the month
   in any of the languages (CLDR's names and abbreviations, e.g. ``15 दिसंबर``, ``டிசம்பர் 15``,
   ``১৫ ডিসেম্বরে``); a day of the month (``15 tarikh``, ``15 तारीख को``, ``15ஆம் தேதி``, ``the 15th``);
   today, tomorrow (kal, udya, naalai, repu, kaal, naale), the day after (parso, parva, ellundi, porshu,
   naadiddu), next week (7 days on), ``in 3 days`` / ``3 din``; a weekday (English, each language's
   CLDR name, and their Latin spellings: somvar, sevvai, guruvaram, shukrobar …) is its next occurrence
   after today. A date without a year is its next occurrence on or after today. With several dates the
   latest counts (a promise is kept by then). A promise date before today or more than 90 days ahead is
   no promise date: the kind stays ``promise`` and ``promised_on`` is None, as for "on salary day".
6. **Confidence** (0–1): stop 0.99 when the reply is just the opt-out word, else 0.9; a matched phrase
   0.85, 0.95 when it is the whole reply, 0.2 less when phrases of other kinds are there too; a weak
   promise 0.6 with a date, 0.5 without; unknown 0.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Final, Literal

from babel import Locale

from creditdesk.channels.formatting import LANGUAGES, LOCALES, check_language

Kind = Literal["paid", "promise", "stop", "help", "dispute", "unknown"]
KINDS: Final[tuple[str, ...]] = ("paid", "promise", "stop", "help", "dispute", "unknown")
#: a promise further ahead than this is not taken as a promise date
PROMISE_HORIZON_DAYS: Final = 90


@dataclass(frozen=True)
class Intent:
    """What a reply says: its kind, the date promised (for a promise that names one) and how sure we are."""

    kind: Kind
    promised_on: date | None
    confidence: float


# -- the lexicon ---------------------------------------------------------------------------------------
# Cues: stop, dispute, promise, paid, not_paid (cancels a paid phrase it contains), help, vague (a
# promise without a date). "=phrase" matches only as the whole reply; "stem*" matches a word's start.
# The word lists are data, kept dense (a phrase a line would run to a thousand lines): fmt: off.
# fmt: off

_LEXICON: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "en": {
        "stop": (
            "stop", "stopall", "stop all", "unsubscribe", "unsub", "opt out", "optout", "do not contact",
            "dont contact", "do not message", "dont message", "do not text", "dont text", "do not call",
            "dont call", "stop messaging", "stop calling", "stop sending", "no more messages", "no more sms",
            "remove my number", "=end", "=quit", "=cancel", "=block",
        ),
        "dispute": (
            "wrong", "incorrect", "not my loan", "not mine", "never took", "never taken", "didnt take",
            "did not take", "dont have any loan", "do not have any loan", "have no loan", "no loan", "fraud",
            "fraudulent", "scam", "dispute", "complaint", "complain", "already closed", "loan is closed",
            "loan closed", "wrong number", "wrong person", "not my number",
        ),
        "promise": (
            "will pay", "i'll pay", "shall pay", "going to pay", "gonna pay", "will send", "will transfer",
            "will deposit", "will clear", "will make the payment", "will make payment", "will do the payment",
            "will do payment", "can pay", "pay by", "paying on", "paying tomorrow", "pay tomorrow",
            "pay today", "pay on", "pay next", "i promise", "promise to pay", "by tomorrow", "will be paid",
        ),
        "paid": (
            "paid", "have paid", "already paid", "payment done", "payment made", "payment completed",
            "payment complete", "payment successful", "payment sent", "transferred", "sent the money",
            "money sent", "deposited", "cleared", "done the payment", "made the payment", "=done",
        ),
        "not_paid": (
            "not paid", "not yet paid", "havent paid", "have not paid", "didnt pay", "did not pay", "unpaid",
            "yet to pay", "not able to pay",
        ),
        "help": (
            "help", "helpline", "call me", "call back", "callback", "please call", "need help", "how to pay",
            "how can i pay", "how do i pay", "cant pay", "cannot pay", "can not pay", "unable to pay",
            "not able to pay", "no money", "lost my job", "lost job", "no job", "hospital", "medical",
            "emergency", "hardship", "difficulty", "need more time", "more time", "extension", "restructure",
            "settlement", "reduce emi", "salary not received", "salary not credited", "no salary",
        ),
        "vague": (
            "salary", "on salary day", "after salary", "when salary comes", "next month", "soon", "shortly",
            "few days", "end of month", "end of the month", "month end",
        ),
    },
    "hi": {
        "stop": (
            "बंद करो", "बंद करें", "बंद करे", "बंद कीजिए", "बंद कीजिये", "बंद कर दो", "बंद कर दें",
            "मैसेज मत भेजो", "मत भेजो", "मत भेजें", "मत भेजिए", "संदेश न भेजें", "कॉल मत करो", "कॉल मत करें",
            "फोन मत करो", "फोन मत करें", "परेशान मत करो", "स्टॉप", "स्टाप", "=बंद", "=बन्द",
            "band karo", "band kare", "band karen", "band karein", "band kijiye", "band kar do", "band kr do",
            "bnd karo", "mat bhejo", "mat bheje", "mat bhejiye", "mat bhejna", "msg mat bhejo",
            "message mat bhejo", "sms mat bhejo", "call mat karo", "call mat kro", "phone mat karo",
            "pareshan mat karo", "=band",
        ),
        "dispute": (
            "गलत", "मेरा लोन नहीं", "मेरा लोन नही", "मैंने लोन नहीं लिया", "लोन नहीं लिया", "कोई लोन नहीं",
            "धोखा", "धोखाधड़ी", "फ्रॉड", "शिकायत", "लोन बंद हो चुका", "लोन बंद हो गया",
            "galat", "mera loan nahi", "mera loan nhi", "maine loan nahi liya", "loan nahi liya",
            "loan nhi liya", "koi loan nahi", "dhokha", "dhoka", "shikayat", "loan band ho chuka",
            "loan band ho gaya", "loan close ho gaya", "loan close ho chuka",
        ),
        "promise": (
            "दूंगा", "दूंगी", "देंगे", "कर दूंगा", "कर दूंगी", "कर देंगे", "भेज दूंगा", "भेज दूंगी", "भर दूंगा",
            "भर दूंगी", "भुगतान करूंगा", "भुगतान करूंगी", "करूंगा", "करूंगी", "चुका दूंगा", "वादा",
            "dunga", "dungi", "doonga", "duga", "denge", "de dunga", "kar dunga", "kr dunga", "kar dungi",
            "kar denge", "kr denge", "bhej dunga", "bhej dungi", "bhej denge", "bhar dunga", "bhar dungi",
            "bhar denge", "jama kar dunga", "payment kar dunga", "pay kar dunga", "karunga", "karungi",
            "krunga", "chuka dunga", "wada",
        ),
        "paid": (
            "भुगतान कर दिया", "भुगतान किया", "भुगतान हो गया", "पैसे भेज दिए", "पैसे भेज दिये", "पैसा भेज दिया",
            "भेज दिया", "भेज दिए", "भेज दी", "जमा कर दिया", "जमा किया", "जमा हो गया", "भर दिया", "भर दी",
            "पेमेंट कर दिया", "पेमेंट हो गया", "पेमेंट किया", "दे दिया", "दे दी", "चुका दिया", "चुका दी",
            "paisa bhej diya", "paise bhej diye", "bhej diya", "bhej diye", "bhej dia", "bhej di",
            "jama kar diya", "jama kr diya", "jama kiya", "jama ho gaya", "bhar diya", "bhar di", "bhar dia",
            "payment kar diya", "payment kr diya", "payment kar dia", "payment ho gaya", "payment ho gya",
            "pay kar diya", "pay kr diya", "pay kar dia", "pay ho gaya", "de diya", "de dia", "de di",
            "chuka diya", "bhugtan kar diya", "bhugtan ho gaya", "emi bhar di", "kist bhar di",
        ),
        "not_paid": ("नहीं भरा", "नहीं भेजा", "नहीं दिया", "nahi diya", "nahi bhara", "nahi bheja"),
        "help": (
            "मदद", "सहायता", "मदद चाहिए", "कॉल करो", "कॉल करें", "कॉल कीजिए", "फोन करो", "फोन करें",
            "बात करनी है", "पैसे नहीं हैं", "पैसे नहीं है", "पैसा नहीं है", "नौकरी चली गई", "नौकरी छूट गई",
            "अस्पताल", "बीमार", "कैसे भरें", "कैसे भुगतान", "समय चाहिए", "मोहलत", "सैलरी नहीं आई",
            "तनख्वाह नहीं मिली",
            "madad", "sahayata", "help chahiye", "call karo", "call kro", "call kijiye", "call karein",
            "phone karo", "phone kijiye", "baat karni hai", "paise nahi hai", "paisa nahi hai",
            "paise nahi hain", "paise nhi hai", "naukri chali gayi", "job chali gayi", "job chala gaya",
            "bimar", "kaise bharu", "kaise bhare", "kaise pay kare", "kaise pay karu", "samay chahiye",
            "time chahiye", "mohlat", "salary nahi aayi", "salary nahi mili", "tankhwah nahi mili",
        ),
        "vague": (
            "तनख्वाह", "सैलरी", "वेतन", "अगले महीने", "जल्दी", "जल्द ही", "कुछ दिन",
            "tankhwah", "tankha", "salary aane par", "salary milte hi", "agle mahine", "jaldi", "jald hi",
            "kuch din",
        ),
    },
    "mr": {
        "stop": (
            "बंद करा", "बंद करून टाका", "मेसेज पाठवू नका", "पाठवू नका", "संदेश पाठवू नका", "कॉल करू नका",
            "फोन करू नका", "त्रास देऊ नका",
            "band kara", "pathvu naka", "pathavu naka", "msg pathvu naka", "message pathvu naka",
            "call karu naka", "phone karu naka", "tras deu naka",
        ),
        "dispute": (
            "चुकीचे", "चुकीचा", "चुकीची", "चूक", "माझे कर्ज नाही", "माझे लोन नाही", "माझं लोन नाही",
            "मी कर्ज घेतले नाही", "मी लोन घेतले नाही", "फसवणूक", "तक्रार", "कर्ज बंद झाले", "लोन बंद झाले",
            "chukiche", "chukicha", "chuk", "maze loan nahi", "maza loan nahi", "majha loan nahi",
            "mi loan ghetla nahi", "loan ghetle nahi", "fasavnuk", "takrar", "loan band zale", "loan band jhala",
        ),
        "promise": (
            "भरेन", "भरतो", "भरते", "देईन", "देतो", "देते", "पाठवेन", "पाठवतो", "पेमेंट करतो", "पेमेंट करेन",
            "भरून टाकेन", "भरून देईन",
            "bharen", "bharto", "bharte", "bharun taken", "dein", "deto", "pathaven", "pathavto",
            "payment karto", "payment karen", "payment karte", "pay karto", "pay karen",
        ),
        "paid": (
            "भरले", "भरलं", "भरला", "भरली", "पैसे भरले", "पैसे पाठवले", "पाठवले", "पेमेंट केले", "पेमेंट केलं",
            "पेमेंट झाले", "पेमेंट झालं", "जमा केले", "हप्ता भरला", "दिले",
            "bharle", "bharla", "bharli", "bharlay", "paise bharle", "paise pathavle", "pathavle", "pathavla",
            "payment kele", "payment kela", "payment zale", "payment zala", "payment jhala", "payment jhale",
            "jama kele", "hapta bharla", "dile",
        ),
        "not_paid": (
            "भरले नाही", "भरला नाही", "पाठवले नाही", "केले नाही", "झाले नाही",
            "bharle nahi", "bharla nahi", "pathavle nahi", "kele nahi", "zale nahi", "jhala nahi",
        ),
        "help": (
            "मदत", "मदत हवी", "मदत करा", "कॉल करा", "फोन करा", "पैसे नाहीत", "पैसे नाही", "नोकरी गेली",
            "दवाखाना", "आजारी", "कसे भरायचे", "वेळ हवा", "मुदत", "पगार नाही झाला", "पगार आला नाही",
            "madat", "madat havi", "madat kara", "call kara", "phone kara", "paise nahit", "paise nahi",
            "nokri geli", "job geli", "davakhana", "ajari", "kase bharayche", "kasa bharu", "vel hava",
            "mudat", "pagar nahi zala", "pagar aala nahi",
        ),
        "vague": (
            "पगार*", "पुढच्या महिन्यात", "लवकर",
            "pagar*", "pudhchya mahinyat", "lavkar",
        ),
    },
    "ta": {
        "stop": (
            "நிறுத்*", "அனுப்ப வேண்டாம்", "அனுப்பாதீர்கள்", "அனுப்பாதே", "மெசேஜ் வேண்டாம்", "கால் பண்ண வேண்டாம்",
            "அழைக்க வேண்டாம்", "ஸ்டாப்",
            "niruthu*", "niruththu*", "niruthavum", "anuppa vendam", "anuppatheenga", "message vendam",
            "msg vendam", "call panna vendam", "call pannatheenga",
        ),
        "dispute": (
            "தவறு", "தப்பு", "என் கடன் இல்லை", "என்னுடைய கடன் இல்லை", "என் லோன் இல்லை", "நான் கடன் வாங்கவில்லை",
            "நான் லோன் வாங்கவில்லை", "லோன் வாங்கல", "மோசடி", "புகார்", "கடன் முடிந்துவிட்டது",
            "thavaru", "tavaru", "thappu", "tappu", "en loan illa", "en loan illai", "ennoda loan illa",
            "naan loan vaangala", "loan vaangala", "loan vangala", "mosadi", "pugar", "loan mudinchiduchu",
            "loan close aagiduchu",
        ),
        "promise": (
            "கட்டுவேன்", "கட்டுகிறேன்", "கட்டறேன்", "கட்டிடுவேன்", "கட்டிவிடுவேன்", "செலுத்துவேன்",
            "செலுத்துகிறேன்", "செலுத்திவிடுவேன்", "அனுப்புவேன்", "அனுப்புகிறேன்", "அனுப்பிடுவேன்", "தருவேன்",
            "தருகிறேன்", "கொடுப்பேன்", "கொடுக்கிறேன்",
            "kattuven", "kattren", "kattiduven", "kattiruven", "seluthuven", "selutthuven", "anuppuven",
            "anuppuren", "tharuven", "taruven", "tharen", "koduppen", "pay panren", "pay pannuven",
            "pay pandren", "pay panniduven",
        ),
        "paid": (
            "கட்டிவிட்ட*", "கட்டிட்ட*", "கட்டினே*", "கட்டியாச்சு", "செலுத்திவிட்ட*", "செலுத்தினே*",
            "செலுத்தியாச்சு", "அனுப்பிவிட்ட*", "அனுப்பிட்ட*", "அனுப்பினே*", "அனுப்பியாச்சு", "கொடுத்துவிட்ட*",
            "கொடுத்துட்ட*", "கொடுத்தே*", "தந்துவிட்ட*", "பேமெண்ட் பண்ணிட்ட*", "பேமெண்ட் செய்துவிட்ட*",
            "kattiten", "kattitten", "kattiyachu", "kattinen", "kattivitten", "seluthiten", "seluthinen",
            "seluthiyachu", "anuppiten", "anuppiyachu", "anuppinen", "koduthuten", "kuduthuten", "koduthen",
            "pay panniten", "pay pannitten", "pay panniyachu", "payment panniten", "payment pannitten",
            "payment aachu", "paid panniten",
        ),
        "not_paid": (
            "கட்டவில்லை", "கட்டல", "செலுத்தவில்லை", "அனுப்பவில்லை",
            "kattala", "kattavillai", "seluthala", "anuppala",
        ),
        "help": (
            "உதவி", "உதவி வேண்டும்", "கால் பண்ணுங்க", "கால் செய்யவும்", "அழைக்கவும்", "தொடர்பு கொள்ளவும்",
            "பணம் இல்லை", "காசு இல்லை", "வேலை போச்சு", "வேலை இல்லை", "மருத்துவமனை", "உடம்பு சரியில்லை",
            "எப்படி கட்டுவது", "அவகாசம்", "நேரம் வேண்டும்", "சம்பளம் வரவில்லை", "சம்பளம் வரல",
            "udhavi", "uthavi", "udavi", "help venum", "call pannunga", "call pannungal", "panam illa",
            "kasu illa", "kaasu illa", "velai pochu", "vela pochu", "velai illa", "udambu sariyilla",
            "eppadi kattuvathu", "eppadi katturathu", "avakasam", "time venum", "sambalam varala",
        ),
        "vague": (
            "சம்பளம்*", "அடுத்த மாதம்", "அடுத்த மாசம்", "சீக்கிரம்",
            "sambalam*", "salary vanthathum", "adutha masam", "adutha maasam", "seekiram", "sikram",
        ),
    },
    "te": {
        "stop": (
            "ఆపండి", "ఆపేయండి", "=ఆపు", "పంపవద్దు", "పంపకండి", "మెసేజ్ వద్దు", "మెసేజ్లు పంపకండి",
            "కాల్ చేయవద్దు", "కాల్ చేయకండి", "స్టాప్",
            "apandi", "aapandi", "=aapu", "apeyandi", "pampavaddu", "pampakandi", "message vaddu",
            "msg vaddu", "messages pampakandi", "call cheyavaddu", "call cheyakandi",
        ),
        "dispute": (
            "తప్పు", "నా లోన్ కాదు", "నా అప్పు కాదు", "నేను లోన్ తీసుకోలేదు", "నేను అప్పు తీసుకోలేదు", "మోసం",
            "ఫిర్యాదు", "లోన్ క్లోజ్ అయింది",
            "tappu", "thappu", "naa loan kadu", "na loan kadu", "nenu loan teesukoledu", "loan teesukoledu",
            "loan tisukoledu", "mosam", "firyadu", "loan close ayindi",
        ),
        "promise": (
            "కడతాను", "కడతా", "కట్టేస్తాను", "చెల్లిస్తాను", "చెల్లిస్తా", "పంపిస్తాను", "పంపుతాను", "ఇస్తాను",
            "ఇస్తా", "పే చేస్తాను", "పేమెంట్ చేస్తాను",
            "kadatanu", "kadatha", "kadathanu", "kadtanu", "kattestanu", "chellistanu", "chellistha",
            "pampistanu", "pamputanu", "istanu", "isthanu", "pay chestanu", "pay chesta", "payment chestanu",
            "payment chesta",
        ),
        "paid": (
            "కట్టాను", "కట్టేశాను", "కట్టేసాను", "చెల్లించాను", "చెల్లించేశాను", "పంపాను", "పంపించాను", "ఇచ్చాను",
            "ఇచ్చేశాను", "పే చేశాను", "పే చేసాను", "పేమెంట్ చేశాను", "పేమెంట్ అయింది",
            "kattanu", "kattesanu", "kattesa", "chellinchanu", "chellinchesanu", "pampanu", "pampinchanu",
            "ichanu", "icchanu", "ichesanu", "pay chesanu", "pay chesa", "payment chesanu", "payment ayindi",
            "payment aindi",
        ),
        "not_paid": (
            "కట్టలేదు", "చెల్లించలేదు", "పంపలేదు", "kattaledu", "chellinchaledu", "pampaledu", "ivvaledu",
        ),
        "help": (
            "సహాయం", "సాయం", "సహాయం కావాలి", "కాల్ చేయండి", "ఫోన్ చేయండి", "డబ్బులు లేవు", "డబ్బు లేదు",
            "ఉద్యోగం పోయింది", "ఆసుపత్రి", "హాస్పిటల్", "ఎలా కట్టాలి", "ఎలా చెల్లించాలి", "సమయం కావాలి", "గడువు",
            "జీతం రాలేదు",
            "sahayam", "sayam", "help kavali", "call cheyandi", "phone cheyandi", "dabbulu levu",
            "dabbu ledu", "udyogam poyindi", "job poyindi", "ela kattali", "ela chellinchali", "time kavali",
            "samayam kavali", "gaduvu", "jeetham raledu", "salary raledu",
        ),
        "vague": (
            "జీతం*", "వచ్చే నెల", "త్వరలో",
            "jeetham*", "jeetam*", "jitham*", "vache nela", "vachhe nela", "twaralo",
        ),
    },
    "bn": {
        "stop": (
            "বন্ধ করুন", "বন্ধ করো", "বন্ধ কর", "পাঠাবেন না", "মেসেজ পাঠাবেন না", "এসএমএস পাঠাবেন না",
            "ফোন করবেন না", "কল করবেন না", "স্টপ",
            "bondho korun", "bondho koro", "bandh korun", "bondo korun", "bando karun", "pathaben na",
            "message pathaben na", "msg pathaben na", "phone korben na", "call korben na",
        ),
        "dispute": (
            "ভুল", "আমার লোন না", "আমার লোন নয়", "আমার ঋণ নয়", "আমি লোন নিইনি", "লোন নিইনি", "প্রতারণা",
            "অভিযোগ", "লোন বন্ধ হয়ে গেছে",
            "bhul hoyeche", "bhul message", "bhul number", "bhul taka", "amar loan na", "amar loan noy",
            "ami loan niini", "loan niini", "loan nini", "protarona", "obhijog", "abhijog",
            "loan bondho hoye geche",
        ),
        "promise": (
            "দেব", "দিব", "দেবো", "দিবো", "দিয়ে দেব", "দিয়ে দেবো", "পরিশোধ করব", "পরিশোধ করবো",
            "পেমেন্ট করব", "পেমেন্ট করবো", "পাঠাব", "পাঠাবো", "জমা দেব", "জমা দেবো", "টাকা দেব",
            "debo", "dibo", "diye debo", "diye dibo", "porishodh korbo", "payment korbo", "pay korbo",
            "pathabo", "pathiye debo", "joma debo", "jama debo", "taka debo",
        ),
        "paid": (
            "দিয়ে দিয়েছি", "দিয়েছি", "পরিশোধ করেছি", "পরিশোধ করে দিয়েছি", "টাকা পাঠিয়েছি", "পাঠিয়ে দিয়েছি",
            "পেমেন্ট করেছি", "পেমেন্ট হয়ে গেছে", "জমা দিয়েছি", "জমা করেছি",
            "diye diyechi", "diyechi", "diyeci", "diyachi", "porishodh korechi", "taka pathiyechi",
            "pathiye diyechi", "payment korechi", "payment kore diyechi", "payment hoye geche", "joma diyechi",
            "jama diyechi", "pay korechi",
        ),
        "not_paid": ("দিইনি", "দেইনি", "করিনি", "পাঠাইনি", "diini", "deini", "korini", "pathaini"),
        "help": (
            "সাহায্য", "সাহায্য চাই", "ফোন করুন", "কল করুন", "টাকা নেই", "চাকরি চলে গেছে", "হাসপাতাল",
            "অসুস্থ", "কিভাবে দেব", "কীভাবে দেব", "কিভাবে পেমেন্ট", "সময় চাই", "সময় লাগবে", "বেতন পাইনি",
            "sahajjo", "sahajyo", "sahajya", "help chai", "phone korun", "call korun", "taka nei",
            "chakri chole geche", "osustho", "kivabe debo", "kibhabe debo", "kivabe payment", "somoy chai",
            "somoy lagbe", "beton paini", "salary paini",
        ),
        "vague": (
            "বেতন*", "সামনের মাসে", "পরের মাসে", "শীঘ্রই", "তাড়াতাড়ি",
            "beton*", "salary pele", "samner mase", "porer mase", "sighroi", "taratari",
        ),
    },
    "kn": {
        "stop": (
            "ನಿಲ್ಲಿಸಿ", "ನಿಲ್ಲಿಸು", "ಕಳುಹಿಸಬೇಡಿ", "ಕಳಿಸಬೇಡಿ", "ಮೆಸೇಜ್ ಬೇಡ", "ಮೆಸೇಜ್ ಕಳುಹಿಸಬೇಡಿ", "ಕರೆ ಮಾಡಬೇಡಿ",
            "ಕಾಲ್ ಮಾಡಬೇಡಿ", "ಸ್ಟಾಪ್",
            "nillisi", "nilsi", "kaluhisabedi", "kalisabedi", "kalsabedi", "message beda", "msg beda",
            "call madabedi", "kare madabedi",
        ),
        "dispute": (
            "ತಪ್ಪು", "ನನ್ನ ಸಾಲ ಅಲ್ಲ", "ನನ್ನ ಲೋನ್ ಅಲ್ಲ", "ನಾನು ಸಾಲ ತೆಗೆದುಕೊಂಡಿಲ್ಲ", "ನಾನು ಲೋನ್ ತೆಗೆದುಕೊಂಡಿಲ್ಲ",
            "ಮೋಸ", "ದೂರು", "ಲೋನ್ ಕ್ಲೋಸ್ ಆಗಿದೆ",
            "tappu", "thappu", "nanna loan alla", "nanna sala alla", "nanu loan tegedukondilla",
            "loan tagondilla", "mosa", "duru", "dooru", "loan close agide",
        ),
        "promise": (
            "ಕಟ್ಟುತ್ತೇನೆ", "ಕಟ್ಟುತ್ತೀನಿ", "ಕಟ್ತೀನಿ", "ಪಾವತಿಸುತ್ತೇನೆ", "ಪಾವತಿ ಮಾಡುತ್ತೇನೆ", "ಕಳುಹಿಸುತ್ತೇನೆ",
            "ಕೊಡುತ್ತೇನೆ", "ಕೊಡ್ತೀನಿ", "ಪೇ ಮಾಡುತ್ತೇನೆ", "ಪೇ ಮಾಡ್ತೀನಿ",
            "kattuttene", "kattuthene", "kattutini", "kattthini", "katteeni", "pavatisuttene", "kodtini",
            "kodthini", "koduttene", "pay madtini", "pay madthini", "pay maduttene", "payment madtini",
            "kalsutini", "kalustini",
        ),
        "paid": (
            "ಕಟ್ಟಿದ್ದೇನೆ", "ಕಟ್ಟಿದೀನಿ", "ಕಟ್ಟಿದ್ದೀನಿ", "ಕಟ್ಟಿದೆ", "ಪಾವತಿಸಿದ್ದೇನೆ", "ಪಾವತಿ ಮಾಡಿದ್ದೇನೆ",
            "ಕಳುಹಿಸಿದ್ದೇನೆ", "ಕಳಿಸಿದ್ದೇನೆ", "ಕೊಟ್ಟಿದ್ದೇನೆ", "ಕೊಟ್ಟಿದೀನಿ", "ಪೇ ಮಾಡಿದ್ದೇನೆ", "ಪೇಮೆಂಟ್ ಆಗಿದೆ",
            "ಪೇಮೆಂಟ್ ಮಾಡಿದ್ದೇನೆ",
            "kattiddene", "kattidini", "kattidhini", "kattiddini", "pavatisiddene", "kaluhisiddene",
            "kalsidini", "kottiddene", "kottidini", "pay madiddene", "pay madidini", "pay madidhini",
            "payment madidini", "payment agide", "payment aagide",
        ),
        "not_paid": ("ಕಟ್ಟಿಲ್ಲ", "ಪಾವತಿಸಿಲ್ಲ", "ಕೊಟ್ಟಿಲ್ಲ", "kattilla", "kottilla", "pay madilla"),
        "help": (
            "ಸಹಾಯ", "ಸಹಾಯ ಬೇಕು", "ಕರೆ ಮಾಡಿ", "ಕಾಲ್ ಮಾಡಿ", "ಫೋನ್ ಮಾಡಿ", "ಹಣ ಇಲ್ಲ", "ದುಡ್ಡು ಇಲ್ಲ", "ಕೆಲಸ ಹೋಯಿತು",
            "ಆಸ್ಪತ್ರೆ", "ಹೇಗೆ ಕಟ್ಟುವುದು", "ಹೇಗೆ ಪಾವತಿಸುವುದು", "ಸಮಯ ಬೇಕು", "ಸಂಬಳ ಬಂದಿಲ್ಲ",
            "sahaya", "sahaya beku", "help beku", "call madi", "phone madi", "kare madi", "hana illa",
            "duddu illa", "kelsa hoytu", "kelasa hoyitu", "aspatre", "hege kattodu", "hege kattuvudu",
            "time beku", "samaya beku", "sambala bandilla",
        ),
        "vague": (
            "ಸಂಬಳ*", "ಮುಂದಿನ ತಿಂಗಳು", "ಬೇಗ",
            "sambala*", "sambla*", "mundina tingalu", "bega",
        ),
    },
}

#: a "paid" phrase followed by one of these words is not paid ("bharle nahi", "kattiten illa")
_NEGATIONS: Final = ("not", "nahi", "nahin", "nhi", "नहीं", "नही", "नाही", "illa", "illai", "இல்லை", "ledu",
                     "లేదు", "ಇಲ್ಲ", "nai")

# -- dates ---------------------------------------------------------------------------------------------

_RELATIVE: Final[dict[int, tuple[str, ...]]] = {
    0: ("today", "tonight", "aaj", "आज", "आजच", "aajch", "inniku", "indru", "இன்று", "இன்னைக்கு", "eeroju",
        "ee roju", "ఈరోజు", "ఈ రోజు", "ajke", "আজ", "আজকে", "indu", "ಇಂದು", "ivattu", "ಇವತ್ತು"),
    1: ("tomorrow", "tmrw", "tmr", "tomo", "kal", "कल", "udya", "udhya", "उद्या", "naalai", "naaliku", "நாளை",
        "நாளைக்கு", "repu", "రేపు", "kaal", "kalke", "agamikal", "কাল", "কালকে", "আগামীকাল", "naale", "ನಾಳೆ"),
    2: ("day after tomorrow", "day after", "parso", "parson", "परसों", "परसो", "parva", "परवा",
        "naalai marunaal", "நாளை மறுநாள்", "ellundi", "ఎల్లుండి", "porshu", "porsu", "পরশু", "naadiddu",
        "ನಾಡಿದ್ದು"),
    7: ("next week", "nxt week", "agle hafte", "agle week", "अगले हफ्ते", "अगले सप्ताह", "agle saptah",
        "pudhchya aathvadyat", "pudhil aathvadyat", "पुढच्या आठवड्यात", "पुढील आठवड्यात", "adutha vaaram",
        "அடுத்த வாரம்", "vache vaaram", "vachhe vaaram", "వచ్చే వారం", "porer soptahe", "samner soptahe",
        "পরের সপ্তাহে", "সামনের সপ্তাহে", "mundina vaara", "ಮುಂದಿನ ವಾರ"),
}
#: "in 3 days", "3 din", "3 दिवसात", "3 நாளில்", "3 రోజుల్లో", "3 দিনের মধ্যে", "3 ದಿನಗಳಲ್ಲಿ"
_DAYS_WORDS: Final = ("days", "day", "din*", "दिन*", "divas*", "दिवस*", "naal*", "நாள்*", "roj*", "రోజు*", "রోজ*",
                      "দিন*", "dina*", "ದಿನ*")
#: a day of the month: "15 tarikh", "15 तारीख को", "15ஆம் தேதி", "15వ తేదీ", "১৫ তারিখে", "15ನೇ ತಾರೀಖು"
_DAY_OF_MONTH_WORDS: Final = ("tarikh*", "tarik*", "tareekh*", "तारीख*", "तारख*", "date", "thethi*", "theti*",
                              "tedhi*", "தேதி*", "tedi*", "tariku*", "తేదీ*", "తారీఖు*", "তারিখ*", "tarikhu*",
                              "dinanka*", "ತಾರೀಖು*", "ದಿನಾಂಕ*", "ರಂದು")
#: what may stand between a day number and what follows: "15th", "15 ko", "15ஆம்", "15ই", "15ನೇ"
_ORDINAL_WORDS: Final = frozenset({"st", "nd", "rd", "th", "ko", "को", "la", "ला", "ஆம்", "ம்", "வது", "వ", "ই", "শে",
                              "ನೇ", "ನೆ", "of", "the", "on"})
_MONTHS_EN: Final = (
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
    ("july", "jul"), ("august", "aug"), ("september", "sept", "sep"), ("october", "oct"),
    ("november", "nov"), ("december", "dec"),
)
#: spellings people write that CLDR's names do not cover
_MONTHS_EXTRA: Final[dict[int, tuple[str, ...]]] = {
    2: ("फरवरी",), 9: ("सितम्बर",), 10: ("अक्तूबर",), 11: ("नवम्बर",), 12: ("दिसम्बर",),
}
_WEEKDAYS_LATIN: Final[tuple[tuple[str, ...], ...]] = (  # Monday first, as date.weekday()
    ("monday", "somvar*", "somwar*", "somavar*", "sombar*", "shombar*", "thingal*", "thinkal*"),
    ("tuesday", "tues", "mangalvar*", "mangalwar*", "mangalavar*", "mongolbar*", "mangalbar*", "sevvai*"),
    ("wednesday", "wed", "budhvar*", "budhwar*", "budhavar*", "budhbar*", "budhan*", "puthan*"),
    ("thursday", "thurs", "thur", "thu", "guruvar*", "guruwar*", "brihaspativar*", "brihospotibar*",
     "vyazhan*", "viyazhan*"),
    ("friday", "fri", "shukravar*", "shukrawar*", "sukravar*", "shukrobar*", "sukrobar*", "velli*"),
    ("saturday", "sat", "shanivar*", "shaniwar*", "sanivar*", "shonibar*", "sonibar*", "sani*"),
    ("sunday", "ravivar*", "raviwar*", "itvar*", "itwar*", "aadivar*", "adivar*", "robibar*", "robbar*",
     "bhanuvar*", "nyayiru*", "gnayiru*"),
)

# fmt: on

_NUMERIC_DATE = re.compile(r"(\d{1,4})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?")
_NATIVE_MARKS: Final = frozenset("\u093c\u09bc\u0a3c\u0abc\u0b3c\u0c3c\u0cbc\u200c\u200d")
_CANDRABINDU: Final = {"\u0901": "\u0902", "\u0981": "\u0982"}
_APOSTROPHES: Final = frozenset("'’‘`´")


def _normalise(text: str) -> str:
    """The comparable form of a reply or a phrase (rule 1 of the module's docstring)."""
    decomposed = unicodedata.normalize("NFKD", text).casefold()
    chars: list[str] = []
    for i, char in enumerate(decomposed):
        if char in _NATIVE_MARKS or char in _APOSTROPHES:
            continue
        if char in _CANDRABINDU:
            chars.append(_CANDRABINDU[char])
            continue
        if char.isdigit():
            digit = unicodedata.decimal(char, None)
            chars.append(str(digit) if digit is not None else " ")
            continue
        category = unicodedata.category(char)
        if char in "/.-":
            before = decomposed[i - 1] if i else ""
            after = decomposed[i + 1] if i + 1 < len(decomposed) else ""
            chars.append(char if before.isdigit() and after.isdigit() else " ")
        elif category[0] in "PSZC":
            chars.append(" ")
        elif category == "Mn" and chars and chars[-1].isascii():
            continue  # an accent on a Latin letter: é is e
        else:
            chars.append(char)
    text = "".join(chars)
    text = re.sub(r"(?<=\d)(?=[^\d\s/.-])|(?<=[^\d\s/.-])(?=\d)", " ", text)
    text = re.sub(r"([a-z])\1+", r"\1", text)
    return " ".join(text.split())


def _phrase_pattern(phrase: str) -> str:
    """A lexicon phrase as a regex over normalised text: whole words, ``stem*`` a word's start."""
    parts: list[str] = []
    for word in phrase.lstrip("=").split():
        star = word.endswith("*")
        tokens = _normalise(word.rstrip("*")).split()
        parts.extend(re.escape(t) for t in tokens)
        if star and parts:
            parts[-1] += r"\S*"
    return " ".join(parts)


def _alternation(phrases: Iterable[str]) -> re.Pattern[str] | None:
    patterns = sorted({_phrase_pattern(p) for p in phrases if p}, key=len, reverse=True)
    patterns = [p for p in patterns if p]
    if not patterns:
        return None
    return re.compile(r"(?:(?<= )|^)(?:" + "|".join(patterns) + r")(?= |$)")


@dataclass(frozen=True)
class _Matcher:
    language: str
    cue: str
    anywhere: re.Pattern[str] | None
    whole: re.Pattern[str] | None


@cache
def _matchers() -> tuple[_Matcher, ...]:
    matchers = []
    for language, cues in _LEXICON.items():
        for cue, phrases in cues.items():
            anywhere = _alternation(p for p in phrases if not p.startswith("="))
            whole_phrases = [p for p in phrases if p.startswith("=")]
            whole = (
                re.compile("^(?:" + "|".join(_phrase_pattern(p) for p in whole_phrases) + ")$")
                if whole_phrases
                else None
            )
            matchers.append(_Matcher(language, cue, anywhere, whole))
    return tuple(matchers)


@dataclass(frozen=True)
class _Match:
    cue: str
    language: str
    start: int
    end: int


@cache
def _negations() -> frozenset[str]:
    return frozenset(_normalise(n) for n in _NEGATIONS)


def _find(text: str) -> list[_Match]:
    found: list[_Match] = []
    for matcher in _matchers():
        if matcher.whole is not None and matcher.whole.match(text):
            found.append(_Match(matcher.cue, matcher.language, 0, len(text)))
        if matcher.anywhere is not None:
            for m in matcher.anywhere.finditer(text):
                found.append(_Match(matcher.cue, matcher.language, m.start(), m.end()))
    negations = _negations()
    kept: list[_Match] = []
    for match in found:
        if match.cue == "paid":
            following = text[match.end :].split(maxsplit=1)
            if following and following[0] in negations:
                continue
        inside_longer = any(
            other.cue != match.cue
            and other.start <= match.start
            and match.end <= other.end
            and other.end - other.start > match.end - match.start
            for other in found
        )
        if match.cue == "stop" or not inside_longer:
            kept.append(match)
    return kept


# -- dates ---------------------------------------------------------------------------------------------


def _names(words: Iterable[str]) -> tuple[tuple[str, bool], ...]:
    """Words as (normalised, matches a word's start)."""
    return tuple((_normalise(w.rstrip("*")), w.endswith("*")) for w in words if _normalise(w.rstrip("*")))


@cache
def _month_names() -> tuple[tuple[tuple[str, bool], int], ...]:
    names: dict[str, tuple[bool, int]] = {}
    for number, spellings in enumerate(_MONTHS_EN, start=1):
        for spelling in spellings:
            names[_normalise(spelling)] = (False, number)
    for language in LANGUAGES:
        if language == "en":
            continue
        locale = Locale.parse(LOCALES[language])
        for context in ("format", "stand-alone"):
            for width, prefix in (("wide", True), ("abbreviated", False)):
                for number, name in locale.months[context][width].items():
                    key = _normalise(name)
                    # a wide name takes suffixes (ডিসেম্বরে, डिसेंबरला); an abbreviation must stand alone
                    if key and (key not in names or prefix):
                        names[key] = (prefix and len(key) >= 3, int(number))
    for number, spellings in _MONTHS_EXTRA.items():
        for spelling in spellings:
            names[_normalise(spelling)] = (True, number)
    return tuple(((name, prefix), number) for name, (prefix, number) in names.items())


@cache
def _weekday_names() -> tuple[tuple[tuple[str, bool], int], ...]:
    entries: list[tuple[tuple[str, bool], int]] = []
    for weekday, spellings in enumerate(_WEEKDAYS_LATIN):
        entries.extend((name, weekday) for name in _names(spellings))
    for language in LANGUAGES:
        if language == "en":
            continue
        locale = Locale.parse(LOCALES[language])
        for weekday, name in locale.days["format"]["wide"].items():
            entries.extend((n, int(weekday)) for n in _names([name + "*"]))
    return tuple(entries)


@cache
def _date_words() -> tuple[tuple[tuple[str, bool], ...], tuple[tuple[str, bool], ...], frozenset[str]]:
    """The words for a day of the month, for a count of days, and what may follow a day number."""
    return _names(_DAY_OF_MONTH_WORDS), _names(_DAYS_WORDS), frozenset(_normalise(w) for w in _ORDINAL_WORDS)


def _token_is(token: str, names: tuple[tuple[str, bool], ...]) -> bool:
    return any(token == name or (prefix and token.startswith(name)) for name, prefix in names)


def _lookup(token: str, table: tuple[tuple[tuple[str, bool], int], ...]) -> int | None:
    for (name, prefix), value in table:
        if token == name or (prefix and token.startswith(name)):
            return value
    return None


def _on_or_after(today: date, month: int, day: int, year: int | None) -> date | None:
    """The date, or (without a year) its next occurrence on or after today; None if not on the calendar."""
    if year is not None:
        try:
            return date(year, month, day)
        except ValueError:
            return None
    for candidate_year in (today.year, today.year + 1):
        try:
            candidate = date(candidate_year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def _day_of_month(today: date, day: int) -> date | None:
    year, month = today.year, today.month
    for _ in range(2):
        try:
            candidate = date(year, month, day)
        except ValueError:
            candidate = None
        if candidate is not None and candidate >= today:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _year(token: str | None) -> int | None:
    if token is None or not token.isdigit() or len(token) not in (2, 4):
        return None
    return 2000 + int(token) if len(token) == 2 else int(token)


def _counts_days(tokens: list[str], number: int, word: int) -> bool:
    """Whether "3 din", "3 நாளில்" count days on: in English only "in/after/within 3 days" ("3 days ago" does not)."""
    if tokens[word] not in ("day", "days"):
        return True
    return number > 0 and tokens[number - 1] in ("in", "after", "within")


@cache
def _relative_patterns() -> tuple[tuple[int, re.Pattern[str]], ...]:
    return tuple((offset, pattern) for offset, words in _RELATIVE.items() if (pattern := _alternation(words)))


def _dates(text: str, today: date) -> list[date]:
    """Every date the normalised reply names (rule 5), resolved against ``today``."""
    found: list[date] = []
    tokens = text.split()
    months, weekdays = _month_names(), _weekday_names()
    day_words, days_words, ordinals = _date_words()

    for token in tokens:
        numeric = _NUMERIC_DATE.fullmatch(token)
        if numeric is None:
            continue
        first, second, third = numeric.groups()
        if len(first) == 4:  # ISO: 2026-12-15
            if third is None or len(third) > 2:
                continue
            resolved = _on_or_after(today, int(second), int(third), int(first))
        elif len(first) <= 2:
            resolved = _on_or_after(today, int(second), int(first), _year(third) if third else None)
        else:
            continue
        if resolved is not None:
            found.append(resolved)

    def after_ordinals(i: int) -> int:
        while i < len(tokens) and tokens[i] in ordinals:
            i += 1
        return i

    for i, token in enumerate(tokens):
        if token.isdigit() and len(token) <= 2 and 1 <= int(token) <= 31:
            day = int(token)
            j = after_ordinals(i + 1)
            month = _lookup(tokens[j], months) if j < len(tokens) else None
            if month is not None:  # 15 Dec, 15th December 2026, 15 दिसंबर
                year = _year(tokens[j + 1]) if j + 1 < len(tokens) and len(tokens[j + 1]) == 4 else None
                resolved = _on_or_after(today, month, day, year)
            elif j < len(tokens) and _token_is(tokens[j], day_words):  # 15 tarikh
                resolved = _day_of_month(today, day)
            elif j < len(tokens) and _token_is(tokens[j], days_words) and _counts_days(tokens, i, j):
                resolved = today + timedelta(days=day)  # in 3 days, 3 din
            elif j > i + 1 and tokens[i + 1] in ("st", "nd", "rd", "th"):  # the 15th
                resolved = _day_of_month(today, day)
            else:
                resolved = None
            if resolved is not None:
                found.append(resolved)
        month = _lookup(token, months)
        if month is not None and i + 1 < len(tokens):  # December 15, डिसेंबर 15
            j = i + 1
            if tokens[j].isdigit() and len(tokens[j]) <= 2:
                k = after_ordinals(j + 1)
                year = _year(tokens[k]) if k < len(tokens) and len(tokens[k]) == 4 else None
                resolved = _on_or_after(today, month, int(tokens[j]), year)
                if resolved is not None:
                    found.append(resolved)
        weekday = _lookup(token, weekdays)
        if weekday is not None:
            found.append(today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1))

    for offset, pattern in _relative_patterns():
        if pattern.search(text):
            found.append(today + timedelta(days=offset))
    return found


def _promise_date(text: str, today: date) -> date | None:
    horizon = today + timedelta(days=PROMISE_HORIZON_DAYS)
    in_window = [d for d in _dates(text, today) if today <= d <= horizon]
    return max(in_window) if in_window else None


# -- the reading ---------------------------------------------------------------------------------------

_DECISIVE: Final[tuple[Kind, ...]] = ("dispute", "promise", "paid", "help")


def parse_reply(text: str, language: str | None, today: date) -> Intent:
    """Read a borrower's reply (rules in the module's docstring); ``today`` is the borrower's date."""
    if language is not None:
        check_language(language)
    normalised = _normalise(text or "")
    if not normalised:
        return Intent("unknown", None, 0.0)
    matches = _find(normalised)
    by_cue: dict[str, list[_Match]] = {}
    for match in matches:
        by_cue.setdefault(match.cue, []).append(match)

    if "stop" in by_cue:
        whole = any(m.start == 0 and m.end == len(normalised) for m in by_cue["stop"])
        return Intent("stop", None, 0.99 if whole else 0.9)

    for kind in _DECISIVE:
        if kind not in by_cue:
            continue
        hits = by_cue[kind]
        confidence = 0.95 if any(m.start == 0 and m.end == len(normalised) for m in hits) else 0.85
        if any(other in by_cue for other in _DECISIVE if other != kind):
            confidence -= 0.2
        if language is not None and all(m.language not in (language, "en") for m in hits):
            confidence -= 0.1
        promised_on = _promise_date(normalised, today) if kind == "promise" else None
        return Intent(kind, promised_on, round(confidence, 2))

    dates = _dates(normalised, today)
    if dates or "vague" in by_cue:
        promised_on = _promise_date(normalised, today) if dates else None
        return Intent("promise", promised_on, 0.6 if dates else 0.5)
    return Intent("unknown", None, 0.0)

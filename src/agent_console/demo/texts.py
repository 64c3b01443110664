"""What the demo's people are called and what they write (the seed's and the living world's)."""

from __future__ import annotations

AGENT_NAMES = (
    "dana", "amir", "bea", "chen", "eli", "farah", "gus", "hana", "ivan", "jo", "kofi",
    "lena", "mateo", "nia", "omar", "priya", "quinn", "rosa", "sami", "tomas", "uma", "vik",
    "wen", "xia", "yusuf", "zoe",
)  # fmt: skip


FIRST_NAMES = (
    "Ana", "Ben", "Carla", "Dmitri", "Efua", "Finn", "Grace", "Hiro", "Ines", "Jamal", "Kira",
    "Luis", "Maya", "Noah", "Olu", "Paula", "Quang", "Rafael", "Sofia", "Tariq", "Ursula",
    "Victor", "Wanjiru", "Xavier", "Yara", "Zeynep", "Aiko", "Bruno", "Chloé", "Diego",
    "Elif", "Farid", "Giulia", "Hassan", "Ingrid", "Jonas", "Kwame", "Leila", "Mateus",
    "Nadia", "Oscar", "Priyanka", "Rhys", "Saanvi", "Théo", "Uchenna", "Valentina",
    "William", "Ximena", "Yusuf", "Zoë", "Amara", "Björn", "Camille", "Dara", "Emeka",
    "Fatima", "Gustavo", "Hana", "Ivo",
)  # fmt: skip
LAST_NAMES = (
    "Silva", "Okafor", "Nguyen", "Müller", "Kowalski", "Haddad", "Tanaka", "García", "Smith",
    "Ivanova", "Mensah", "O'Brien", "Rossi", "Dubois", "Jensen", "Kim", "Patel", "Cohen",
    "Yilmaz", "Novak", "Andersson", "Costa", "Fernández", "Ahmed", "Murphy", "Schmidt",
    "Santos", "Lopez", "Chen", "Wright", "Abebe", "Bakker", "Castillo", "Dimitrov", "Evans",
    "Fischer", "Gonzaga", "Horvat", "Ito", "Jovanović", "Kariuki", "Lindqvist", "Moreau",
    "Nakamura", "Olsen", "Popescu", "Quispe", "Reyes", "Sato", "Toure", "Ueda", "Vargas",
    "Weber", "Xu", "Yamamoto", "Zhang", "Achebe", "Bauer", "Cruz", "Da Silva",
)  # fmt: skip

CUSTOMER_OPENERS = (
    "Hi, my order hasn't arrived yet.",
    "Hello? Is anyone there?",
    "I was charged twice for order {order}.",
    "How do I reset my password?",
    "My package says delivered but it isn't here.",
    "Can I change the delivery address for order {order}?",
    "The app keeps logging me out.",
    "I'd like to cancel my subscription.",
    "Do you ship to Portugal?",
    "The discount code SPRING25 doesn't work at checkout.",
    "Hi!\nI ordered a blue jacket (order {order})\nbut I got a green one.",
    "Where is my refund? It's been two weeks.",
    "Can I talk to a human please",
    "The item arrived damaged, the box was crushed.",
    "hello i need help with my account",
    "Is the store on Main Street open on Sunday?",
)
CUSTOMER_FOLLOWUPS = (
    "Thanks!",
    "It's order {order}.",
    "Yes, that's right.",
    "Still waiting...",
    "ok",
    "Can you hurry up please?",
    "Great, thank you so much 🙏",
    "No, that didn't work either.",
    "I already tried that twice.",
    "Here are the details:\n- order {order}\n- paid by card\n- delivered to my office",
    "Perfect, that's all. Have a nice day!",
    "Sorry, I was away. Are you still there?",
    "👍",
)
AGENT_REPLIES = (
    "Hi {first}, thanks for reaching out! Let me check that for you.",
    "Could you share your order number?",
    "I've issued a refund; it can take 3-5 business days to show up.",
    "Done! Is there anything else I can help with?",
    "I'm sorry about that.\nI've raised it with our shipping team.\nYou'll hear from us soon.",
    "Thanks {first}, one moment please.",
    "I can see order {order} here. It left our warehouse yesterday.",
    "I've sent a password reset link to the email on file.",
    "Your subscription is cancelled; you keep access until the end of the month.",
    "Let me transfer you to the right team.",
)
AGENT_OPENERS = (
    "Hi {first}, this is {agent} from support about your order {order}.",
    "Hello {first}, your replacement has shipped. Reply here if you have any questions.",
    "Hi {first}, we noticed a problem with your last payment. Can you reply so we can help?",
    "Hi {first}, following up on your return request: is everything sorted?",
)
AGENT_NUDGES = (
    "Just checking in, {first}: are you still there?",
    "Hi again {first}, let us know if you still need help.",
)
#: Customer text the console must never interpret (stored exactly as written).
HOSTILE = (
    "[bold]URGENT[/bold] refund me now",
    "[/]",
    "[@click=app.quit]x[/]",
    "\x1b[31mred alert\x1b[0m please help",
    "\x1b]8;;http://example.invalid\x07click me\x1b]8;;\x07",
    "normal text \u202eesrever\u202c end",
    "[link=http://example.invalid]you won a prize[/link] and [/bold] unbalanced",
    "bell\x07 backspace\x08 del\x7f and a \x1b[2J clear screen",
    "[@click=app.quit]x[/]\n[bold]two lines[/] of markup\x1b[0m",
)

#: The demo's quick replies (name, template); placeholders: domain/quick_replies.py.
QUICK_REPLIES = (
    ("Greeting", "Hi {customer}, I'm {agent}. How can I help you today?"),
    ("Checking", "Thanks {customer}, let me check that for you. It takes a minute or two."),
    ("Tracking link", "You can follow your parcel here: https://example.com/track"),
    ("Still there?", "Hi {customer}, are you still there? This chat on {channel} stays open."),
    ("Goodbye", "Thanks for contacting us, {customer}. Have a nice day! {agent}"),
)

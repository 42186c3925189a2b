"""Word lists that web page chrome is made of: menu items, names, places, dates, site names.

Shared by the train and held-out template families (real sites share "Home" and "Contact"); what
differs between the families is the wording and layout of the templates in `boilerplate.py`.
"""

from __future__ import annotations

import random

#: Common words that name no subject (a site's topics, a listing's query are none of these).
STOP_WORDS = frozenset("""the a an and or of to in for on with by from as at is are was were be been this that these those it its
which can will may not but if then than into also such other more most when where what who how all any each
use used using your you their they them there here only one two has have had does should would could must
about over under after before between both some many much very via per within without while""".split())


NAV_ITEMS = (
    "Home", "About", "About Us", "Blog", "News", "Contact", "Contact Us", "Services", "Products", "Shop",
    "Store", "Pricing", "Features", "Docs", "Documentation", "Support", "Help", "FAQ", "FAQs", "Careers",
    "Jobs", "Press", "Events", "Resources", "Community", "Forum", "Forums", "Download", "Downloads",
    "Portfolio", "Gallery", "Our Team", "Team", "Partners", "Investors", "Donate", "Archive", "Archives",
    "Categories", "Videos", "Podcast", "Reviews", "Guides", "Tutorials", "Deals", "Sale", "New Arrivals",
    "Sports", "Politics", "Business", "Technology", "Tech", "Science", "Health", "Entertainment", "Travel",
    "Food", "Lifestyle", "Opinion", "World", "Local", "Weather", "Education", "Research", "Publications",
    "Projects", "Solutions", "Industries", "Customers", "Case Studies", "Webinars", "Developers", "API",
    "Status", "Changelog", "Roadmap", "Security", "Get Started", "Getting Started", "Learn", "Explore",
    "Membership", "Volunteer", "Locations", "Menu", "Recipes", "Photos", "Culture", "Music", "Books",
    "Arts", "Finance", "Markets", "Real Estate", "Autos", "Jobs Board", "Classifieds", "Obituaries",
    "Calendar", "Schedule", "Tickets", "Library", "Students", "Faculty", "Admissions", "Alumni",
    "Knowledge Base", "Release Notes", "Integrations", "Enterprise", "Open Source", "Marketplace",
    "What's New", "Trending", "Latest", "Popular", "Editor's Picks", "Newsletter", "Shop All",
)
FOOTER_HEADINGS = (
    "Company", "Resources", "Products", "Support", "Legal", "Connect", "Follow Us", "Quick Links",
    "Useful Links", "About", "Information", "Customer Service", "Explore", "Community", "Help",
    "Get in touch", "Our Network", "More", "Policies", "Navigation", "Learn", "Developers",
)
LEGAL_LINKS = (
    "Privacy Policy", "Terms of Service", "Terms of Use", "Terms & Conditions", "Cookie Policy",
    "Cookie Settings", "Accessibility", "Sitemap", "Site Map", "Disclaimer", "Do Not Sell My Personal Information",
    "Your Privacy Choices", "Code of Conduct", "Imprint", "Legal Notice", "Refund Policy", "Shipping Policy",
    "Trademarks", "Security", "Contact", "Advertise", "Advertise with us", "Careers", "Editorial Policy",
    "Corrections", "Ethics Policy", "Community Guidelines", "Copyright Policy", "DMCA", "Manage Cookies",
)
SOCIAL = ("Facebook", "Twitter", "X", "Instagram", "LinkedIn", "YouTube", "Pinterest", "TikTok", "Reddit",
          "Mastodon", "GitHub", "Discord", "Telegram", "WhatsApp", "Tumblr", "Flipboard", "Threads", "Bluesky",
          "RSS", "Email")
FIRST = ("James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
         "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Chris", "Karen",
         "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Emily", "Mark", "Ashley", "Paul", "Michelle",
         "Steven", "Amanda", "Andrew", "Melissa", "Kevin", "Laura", "Brian", "Rachel", "Priya", "Wei",
         "Hiroshi", "Fatima", "Olga", "Carlos", "Ana", "Luca", "Sofia", "Ahmed", "Ingrid", "Kwame", "Mei",
         "Raj", "Elena", "Tomás", "Chloé", "Jonas", "Aisha", "Dmitri", "Noah", "Zoe", "Liam", "Maya")
LAST = ("Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
        "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White",
        "Harris", "Clark", "Lewis", "Walker", "Hall", "Young", "King", "Wright", "Scott", "Green", "Baker",
        "Adams", "Nelson", "Hill", "Campbell", "Mitchell", "Roberts", "Patel", "Nguyen", "Kim", "Chen",
        "Müller", "Rossi", "Silva", "Kowalski", "Novak", "Tanaka", "Okafor", "Schmidt", "Dubois", "Larsen",
        "O'Brien", "Murphy", "Singh", "Cohen", "Ivanova", "Costa", "Haddad", "Andersson", "Fischer")
CITIES = ("Springfield", "Portland", "Austin", "Denver", "Boston", "Seattle", "Chicago", "Toronto", "London",
          "Manchester", "Dublin", "Berlin", "Munich", "Paris", "Lyon", "Madrid", "Amsterdam", "Sydney",
          "Melbourne", "Auckland", "Cape Town", "Bangalore", "Singapore", "Tokyo", "Vancouver", "Atlanta",
          "Phoenix", "Minneapolis", "Edinburgh", "Zurich", "Vienna", "Oslo", "Helsinki", "Lisbon", "Prague")
STREETS = ("Main Street", "Oak Avenue", "Market Street", "Park Road", "High Street", "Elm Street", "Broadway",
           "Cedar Lane", "Mill Road", "Church Street", "Station Road", "Lake Drive", "Maple Avenue",
           "Washington Blvd", "King Street", "Queen Street", "Harbour Way", "Innovation Drive")
SITE_WORDS_A = ("Green", "Blue", "Red", "Silver", "Golden", "Bright", "Open", "Little", "Big", "Modern", "Daily",
                "Urban", "Wild", "Northern", "Coastal", "Happy", "Smart", "Digital", "Rustic", "Simple", "Clever",
                "Quiet", "Global", "Pacific", "Iron", "Maple", "Cedar", "Pixel", "Cosmic", "True", "Hidden")
SITE_WORDS_B = ("Kitchen", "Garden", "Times", "Gazette", "Journal", "Lab", "Labs", "Works", "Hub", "Studio",
                "Post", "Review", "Notes", "Press", "Collective", "Dispatch", "Insider", "Guide", "Corner",
                "Tribune", "Herald", "Academy", "Institute", "Foundation", "Supply", "Outfitters", "Media",
                "Network", "Forge", "Stack", "Cloud", "Bits", "Chronicle", "Observer", "Market", "Co.")
TLDS = (".com", ".org", ".net", ".io", ".co.uk", ".de", ".dev", ".info", ".blog", ".news", ".edu", ".ca")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
LANGUAGES = ("English", "Deutsch", "Español", "Français", "Italiano", "Português", "Nederlands", "Polski",
             "Русский", "日本語", "中文", "한국어", "Türkçe", "Svenska", "Dansk", "Norsk", "Suomi", "Čeština")
CMS = ("WordPress", "Ghost", "Squarespace", "Wix", "Drupal", "Joomla", "Hugo", "Jekyll", "Shopify", "Blogger",
       "Medium", "Substack", "Webflow", "Gatsby", "Hexo", "Pelican", "Tumblr", "Weebly")
THEMES = ("Astra", "GeneratePress", "Twenty Twenty-One", "Twenty Nineteen", "OceanWP", "Divi", "Kadence",
          "Neve", "Hestia", "Sydney", "Newspaper", "Genesis", "Storefront", "Hello Elementor", "Flatsome")
PRODUCT_WORDS = ("Wireless", "Bluetooth", "Stainless Steel", "Organic", "Premium", "Vintage", "Ergonomic",
                 "Portable", "Waterproof", "Handmade", "Leather", "Cotton", "Smart", "LED", "Ceramic", "Bamboo")
PRODUCT_NOUNS = ("Headphones", "Water Bottle", "Backpack", "Desk Lamp", "Coffee Mug", "T-Shirt", "Sneakers",
                 "Phone Case", "Charger", "Notebook", "Watch", "Speaker", "Blender", "Yoga Mat", "Jacket",
                 "Sunglasses", "Keyboard", "Mouse", "Tent", "Candle", "Cutting Board", "Wallet", "Drone")
SPAM_KEYWORDS = ("cheap", "best", "buy", "online", "discount", "free", "download", "casino", "loans", "viagra",
                 "replica", "watches", "bitcoin", "crypto", "weight loss", "diet pills", "seo services",
                 "backlinks", "essay writing", "dating", "hot singles", "forex", "betting", "slots", "poker",
                 "payday", "insurance quotes", "mortgage rates", "followers", "likes", "keto", "cbd oil")


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def site_name(rng: random.Random) -> str:
    form = rng.random()
    if form < 0.5:
        return f"{rng.choice(SITE_WORDS_A)} {rng.choice(SITE_WORDS_B)}"
    if form < 0.7:
        return f"The {rng.choice(SITE_WORDS_A)} {rng.choice(SITE_WORDS_B)}"
    if form < 0.85:
        return f"{rng.choice(SITE_WORDS_A)}{rng.choice(SITE_WORDS_B).replace('.', '')}"
    return f"{rng.choice(LAST)} & {rng.choice(LAST)}"


def domain(name: str, rng: random.Random) -> str:
    slug = "".join(c for c in name.lower() if c.isalnum())
    return slug + rng.choice(TLDS)


def date(rng: random.Random, year: int | None = None) -> str:
    """A date in one of the many formats sites print."""
    y = year or rng.randint(2008, 2025)
    m, d = rng.randint(1, 12), rng.randint(1, 28)
    month = MONTHS[m - 1]
    forms = (f"{month} {d}, {y}", f"{d} {month} {y}", f"{month[:3]} {d}, {y}", f"{y}-{m:02d}-{d:02d}",
             f"{m:02d}/{d:02d}/{y}", f"{d:02d}.{m:02d}.{y}", f"{rng.choice(DAYS)}, {month} {d}, {y}",
             f"{d} {month[:3]} {y}", f"{month} {d}, {y} at {rng.randint(1, 12)}:{rng.randint(0, 59):02d} {rng.choice(('am', 'pm', 'AM', 'PM'))}")
    return rng.choice(forms)


def count(rng: random.Random) -> str:
    n = int(10 ** rng.uniform(0, 6.5))
    if n >= 1_000_000 and rng.random() < 0.7:
        return f"{n / 1e6:.1f}M"
    if n >= 1000 and rng.random() < 0.6:
        return f"{n / 1e3:.1f}K" if rng.random() < 0.5 else f"{n / 1e3:.1f}k"
    return f"{n:,}" if rng.random() < 0.5 else str(n)


def price(rng: random.Random) -> str:
    value = rng.choice((rng.randint(3, 99) + 0.99, rng.randint(5, 400) + 0.0, rng.randint(1, 50) + 0.49))
    cur = rng.choice(("$", "$", "£", "€", "US $"))
    return f"{cur}{value:,.2f}" if cur != "€" or rng.random() < 0.5 else f"{value:,.2f} €".replace(".", ",", 1)

"""The demo town: real streets of Paris 19th and 20th arrondissements, with approximate positions.

Each entry is a stretch of street between two points, with the house numbers along it; a long
street that bends or crosses quartiers is split into several stretches. Positions are close enough
for a demo map, not surveyed.
"""

from dataclasses import dataclass

CITY = "Paris"

# The quartiers administratifs of the 19th (Villette … Combat) and 20th (Belleville … Charonne).
DISTRICTS = (
    "Villette",
    "Pont-de-Flandre",
    "Amérique",
    "Combat",
    "Belleville",
    "Saint-Fargeau",
    "Père-Lachaise",
    "Charonne",
)


@dataclass(frozen=True)
class Street:
    """A stretch of street: its name, quartier, postcode, ends and the house numbers in between."""

    name: str
    district: str
    postcode: str
    start: tuple[float, float]
    end: tuple[float, float]
    first_number: int
    last_number: int

    @property
    def short_name(self) -> str:
        """The name without its kind of way: "de Belleville", "Manin", "d'Avron"."""
        return self.name.split(" ", 1)[1]


STREETS = (
    # 19th arrondissement
    Street("avenue Jean-Jaurès", "Villette", "75019", (48.8831, 2.3697), (48.8851, 2.3795), 1, 110),
    Street(
        "avenue Jean-Jaurès", "Amérique", "75019", (48.8851, 2.3795), (48.8884, 2.3930), 111, 220
    ),
    Street("avenue de Flandre", "Villette", "75019", (48.8848, 2.3688), (48.8909, 2.3771), 1, 90),
    Street(
        "avenue de Flandre",
        "Pont-de-Flandre",
        "75019",
        (48.8909, 2.3771),
        (48.8970, 2.3855),
        91,
        180,
    ),
    Street("rue de Crimée", "Amérique", "75019", (48.8760, 2.3930), (48.8852, 2.3803), 1, 150),
    Street("rue de Crimée", "Villette", "75019", (48.8852, 2.3803), (48.8912, 2.3760), 151, 230),
    Street("rue Riquet", "Villette", "75019", (48.8886, 2.3675), (48.8879, 2.3750), 1, 60),
    Street("quai de la Loire", "Villette", "75019", (48.8846, 2.3706), (48.8880, 2.3772), 1, 90),
    Street(
        "rue d'Aubervilliers", "Villette", "75019", (48.8850, 2.3664), (48.8960, 2.3700), 1, 150
    ),
    Street("rue Curial", "Pont-de-Flandre", "75019", (48.8888, 2.3738), (48.8972, 2.3768), 1, 80),
    Street(
        "boulevard Macdonald",
        "Pont-de-Flandre",
        "75019",
        (48.8984, 2.3710),
        (48.8975, 2.3862),
        1,
        150,
    ),
    Street("avenue Secrétan", "Combat", "75019", (48.8796, 2.3706), (48.8822, 2.3806), 1, 90),
    Street("rue de Meaux", "Combat", "75019", (48.8815, 2.3712), (48.8849, 2.3790), 1, 120),
    Street("rue Manin", "Combat", "75019", (48.8823, 2.3790), (48.8808, 2.3922), 1, 100),
    Street("avenue Simon-Bolivar", "Combat", "75019", (48.8733, 2.3774), (48.8795, 2.3790), 1, 160),
    Street("rue Botzaris", "Combat", "75019", (48.8772, 2.3822), (48.8790, 2.3892), 1, 80),
    Street("rue de Belleville", "Combat", "75019", (48.8722, 2.3770), (48.8745, 2.3880), 1, 150),
    Street("rue de Mouzaïa", "Amérique", "75019", (48.8808, 2.3928), (48.8797, 2.3993), 1, 90),
    Street("rue de Bellevue", "Amérique", "75019", (48.8782, 2.3938), (48.8805, 2.3990), 1, 60),
    Street("rue d'Hautpoul", "Amérique", "75019", (48.8866, 2.3862), (48.8812, 2.3902), 1, 90),
    Street(
        "boulevard d'Indochine", "Amérique", "75019", (48.8862, 2.3978), (48.8818, 2.3995), 1, 70
    ),
    Street("boulevard Sérurier", "Amérique", "75019", (48.8818, 2.3995), (48.8778, 2.4068), 1, 180),
    # 20th arrondissement
    Street(
        "rue de Belleville", "Belleville", "75020", (48.8745, 2.3880), (48.8770, 2.4060), 151, 330
    ),
    Street(
        "boulevard de Belleville",
        "Belleville",
        "75020",
        (48.8665, 2.3825),
        (48.8722, 2.3768),
        2,
        140,
    ),
    Street(
        "rue des Couronnes", "Belleville", "75020", (48.8693, 2.3792), (48.8708, 2.3885), 1, 110
    ),
    Street(
        "rue de Ménilmontant", "Belleville", "75020", (48.8668, 2.3835), (48.8686, 2.3920), 1, 80
    ),
    Street(
        "rue de Ménilmontant",
        "Père-Lachaise",
        "75020",
        (48.8686, 2.3920),
        (48.8705, 2.4002),
        81,
        160,
    ),
    Street("rue des Pyrénées", "Charonne", "75020", (48.8485, 2.4055), (48.8595, 2.4005), 1, 150),
    Street(
        "rue des Pyrénées", "Père-Lachaise", "75020", (48.8595, 2.4005), (48.8650, 2.3987), 151, 260
    ),
    Street(
        "rue des Pyrénées", "Belleville", "75020", (48.8650, 2.3987), (48.8735, 2.3853), 261, 400
    ),
    Street(
        "avenue Gambetta", "Père-Lachaise", "75020", (48.8627, 2.3880), (48.8650, 2.3985), 1, 70
    ),
    Street(
        "avenue Gambetta", "Saint-Fargeau", "75020", (48.8650, 2.3985), (48.8768, 2.4062), 71, 220
    ),
    Street("rue Pelleport", "Saint-Fargeau", "75020", (48.8640, 2.4035), (48.8742, 2.4012), 1, 180),
    Street(
        "rue Saint-Fargeau", "Saint-Fargeau", "75020", (48.8713, 2.4000), (48.8725, 2.4085), 1, 80
    ),
    Street(
        "boulevard Mortier", "Saint-Fargeau", "75020", (48.8768, 2.4070), (48.8650, 2.4095), 1, 130
    ),
    Street(
        "boulevard de Ménilmontant",
        "Père-Lachaise",
        "75020",
        (48.8665, 2.3832),
        (48.8588, 2.3897),
        2,
        150,
    ),
    Street("rue de Bagnolet", "Charonne", "75020", (48.8565, 2.3945), (48.8643, 2.4078), 1, 200),
    Street(
        "boulevard de Charonne", "Charonne", "75020", (48.8493, 2.3960), (48.8588, 2.3900), 2, 190
    ),
    Street("rue d'Avron", "Charonne", "75020", (48.8516, 2.3985), (48.8535, 2.4100), 1, 130),
    Street("rue des Vignoles", "Charonne", "75020", (48.8535, 2.3958), (48.8558, 2.4018), 1, 90),
    Street("rue de Buzenval", "Charonne", "75020", (48.8508, 2.4003), (48.8556, 2.4020), 1, 70),
    Street("cours de Vincennes", "Charonne", "75020", (48.8477, 2.3985), (48.8476, 2.4105), 2, 120),
)

# Landlords of the demo premises that have no account: their reports go by e-mail.
LANDLORD_CONTACTS = (
    ("SCI Les Lilas", "gestion@sci-les-lilas.example.org"),
    ("Foncière Belleville Commerces", "contact@belleville-commerces.example.org"),
    ("Mme Martine Roux", "martine.roux@example.org"),
    ("M. Karim Haddad", "karim.haddad@example.org"),
    ("Cabinet Lebrun Gestion", "location@lebrun-gestion.example.org"),
    ("Paris Habitat, service commerces", "commerces@bailleur-social.example.org"),
    ("Indivision Nguyen", "famille.nguyen@example.org"),
)

# The resident accounts of the demo town; the first one is printed as the resident login.
RESIDENT_NAMES = (
    "Camille",
    "Léa",
    "Hugo",
    "Manon",
    "Lucas",
    "Inès",
    "Thomas",
    "Chloé",
    "Nathan",
    "Sarah",
    "Mehdi",
    "Fatou",
    "Julien",
    "Amina",
    "Antoine",
    "Zoé",
    "Karim",
    "Élodie",
    "Yanis",
    "Clara",
    "Paul",
    "Aïcha",
    "Louis",
    "Mathilde",
    "Sofiane",
)

SURNAMES = (
    "Martin",
    "Nguyen",
    "Haddad",
    "Diallo",
    "Lefèvre",
    "Moreau",
    "Benali",
    "Chen",
    "Da Silva",
    "Rossi",
    "Traoré",
    "Petit",
    "Garnier",
    "Cohen",
    "Mercier",
)

# What residents of the demo town miss most, with relative weights.
WANTED_SHOP_TYPES = {
    "shop=greengrocer": 10,
    "shop=bakery": 9,
    "shop=cheese": 8,
    "shop=books": 8,
    "craft=shoemaker": 6,
    "shop=seafood": 6,
    "amenity=cafe": 6,
    "shop=hardware": 5,
    "shop=butcher": 5,
    "shop=deli": 4,
    "shop=health_food": 4,
    "amenity=toy_library": 3,
    "shop=sewing": 3,
    "craft=tailor": 3,
    "shop=bicycle": 3,
    "shop=wine": 3,
    "shop=florist": 3,
    "amenity=pharmacy": 2,
    "shop=games": 2,
    "amenity=post_office": 2,
    "shop=music": 2,
    "shop=stationery": 2,
    "craft=pottery": 2,
    "amenity=coworking_space": 1,
    "shop=second_hand": 1,
}

# How common each kind of open shop is in the directory; other types of the taxonomy weigh 1.
OPEN_SHOP_WEIGHTS = {
    "amenity=restaurant": 24,
    "amenity=cafe": 14,
    "amenity=fast_food": 12,
    "shop=convenience": 12,
    "shop=bakery": 12,
    "shop=hairdresser": 12,
    "amenity=bar": 8,
    "amenity=pharmacy": 8,
    "shop=supermarket": 5,
    "shop=clothes": 6,
    "shop=beauty": 5,
    "shop=mobile_phone": 4,
    "shop=laundry": 4,
    "shop=tobacco": 4,
    "office=estate_agent": 4,
    "amenity=bank": 3,
    "shop=butcher": 3,
    "shop=optician": 3,
    "amenity=doctors": 3,
    "shop=florist": 2,
    "shop=dry_cleaning": 2,
}

# Opening hours in OpenStreetMap syntax, by shop type; others take the shop default.
OPENING_HOURS = {
    "shop=bakery": "Tu-Su 07:00-20:00",
    "amenity=cafe": "Mo-Su 07:30-23:00",
    "amenity=bar": "Mo-Su 17:00-02:00",
    "amenity=restaurant": "Tu-Sa 12:00-14:30,19:00-23:00",
    "amenity=fast_food": "Mo-Su 11:00-23:30",
    "amenity=pharmacy": "Mo-Sa 08:30-20:30",
    "shop=convenience": "Mo-Su 08:00-23:00",
    "shop=supermarket": "Mo-Sa 08:30-21:30; Su 09:00-13:00",
    "shop=hairdresser": "Tu-Sa 09:30-19:00",
    "amenity=bank": "Tu-Fr 09:00-12:30,14:00-17:30; Sa 09:00-12:30",
}
DEFAULT_OPENING_HOURS = "Mo-Sa 10:00-19:30"

# How open shops and cafés name themselves after their quartier: "Le Café des Buttes".
DISTRICT_PHRASES = {
    "Villette": "de la Villette",
    "Pont-de-Flandre": "du Pont-de-Flandre",
    "Amérique": "du Danube",
    "Combat": "des Buttes",
    "Belleville": "de Belleville",
    "Saint-Fargeau": "de Saint-Fargeau",
    "Père-Lachaise": "du Père-Lachaise",
    "Charonne": "de Charonne",
}

# The word a shop of each type puts on its sign when the taxonomy label is too long for it.
SIGN_WORDS = {
    "amenity=fast_food": "Snack",
    "shop=convenience": "Épicerie",
    "shop=supermarket": "Supérette",
    "shop=tobacco": "Tabac",
    "shop=hairdresser": "Coiffure",
    "shop=mobile_phone": "Phone Service",
    "office=estate_agent": "Immobilière",
    "amenity=doctors": "Cabinet médical",
    "shop=farm": "Les Producteurs",
    "amenity=coworking_space": "Coworking",
}

# Shop types that are not businesses with a sign, left out of the directory of open shops.
NOT_IN_DIRECTORY = ("amenity=atm",)

# Short comments residents leave with their wishes, by the shop type they wish for.
COMMENTS = {
    "shop=bakery": (
        "Il n'y a plus de boulangerie à moins de dix minutes à pied.",
        "Une boulangerie qui ouvre tôt, pour le pain du matin avant le travail.",
    ),
    "shop=greengrocer": (
        "Un primeur avec des produits de saison, ça manque vraiment dans la rue.",
        "Des fruits et légumes frais sans devoir prendre le métro.",
    ),
    "shop=cheese": (
        "Une fromagerie, le marché est trop loin pour les personnes âgées.",
        "Une vraie fromagerie, avec des conseils !",
    ),
    "shop=books": (
        "Une librairie de quartier avec un rayon jeunesse, s'il vous plaît !",
        "Une librairie qui organise des rencontres avec des auteurs.",
    ),
    "craft=shoemaker": ("Depuis la fermeture du cordonnier, je dois aller jusqu'à République.",),
    "shop=seafood": ("Une poissonnerie, il n'y en a aucune dans le quartier.",),
    "amenity=cafe": (
        "Un café où l'on peut s'asseoir avec une poussette.",
        "Un café calme pour travailler ou lire, avec une terrasse.",
    ),
    "shop=hardware": ("Une quincaillerie pour les petites réparations, comme avant.",),
    "shop=butcher": ("Une boucherie de qualité, la dernière a fermé l'an dernier.",),
    "shop=deli": ("Une épicerie fine avec des produits d'ici et d'ailleurs.",),
    "shop=health_food": ("Un magasin bio avec du vrac, pour limiter les emballages.",),
    "amenity=toy_library": ("Une ludothèque pour les enfants de l'école d'à côté.",),
    "shop=sewing": ("Une mercerie : on en cherche une depuis des années.",),
    "craft=tailor": ("Une retoucherie, beaucoup de voisins en ont besoin.",),
    "shop=bicycle": ("Un atelier de réparation de vélos serait très utile ici.",),
    "shop=wine": ("Un caviste qui conseille, et pas seulement une supérette.",),
    "shop=florist": ("Un fleuriste mettrait un peu de couleur dans cette rue.",),
}

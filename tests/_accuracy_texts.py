"""Synthetic articles written for the accuracy tests (no seed text)."""

ARTICLES = [
    "The city council approved a new budget for road repairs on Tuesday after a long debate about potholes "
    "in the northern suburbs.\n\nCouncillors said the repairs would start in April and finish before winter, "
    "with the worst streets fixed first.\n\nResidents had complained for months about damaged tyres and "
    "cracked pavements near the old market square.",
    "A rare orchid was found by volunteers walking the coastal trail last weekend, botanists at the "
    "university confirmed.\n\nThe plant had not been recorded in the region for forty years and its "
    "exact location is being kept secret.\n\nRangers plan to fence the area and count the flowers again "
    "next spring with help from the local walking club.",
    "The regional hospital opened a children's ward with twenty beds and a playroom funded by a charity "
    "auction.\n\nNurses showed visitors the new equipment, including monitors that send alerts to a "
    "central desk.\n\nThe charity raised the money over three years from bake sales, concerts and a "
    "marathon through the valley.",
    "Farmers in the river delta expect a smaller rice harvest after weeks of heavy rain flooded many "
    "low fields.\n\nAgricultural officers are testing seed varieties that survive longer under water "
    "and ripen earlier.\n\nPrices at the wholesale market rose slightly as traders waited for the first "
    "trucks from the delta.",
    "The museum of maritime history will reopen on Friday after a renovation that added a gallery of "
    "ship models.\n\nCurators spent two years restoring a wooden lifeboat that once served the island "
    "ferry.\n\nSchool groups can book free guided tours on weekday mornings until the end of the term.",
    "A local chess club won the national team championship after a tense final round decided on the "
    "last board.\n\nThe club's youngest player, aged fourteen, drew against a former champion to secure "
    "the title.\n\nMembers celebrated at their meeting hall above the bakery where they have played "
    "every Thursday since 1987.",
]

NAV = "Home | News | Sport | Business | Weather | Opinion | Contact the newsroom today"
FOOTER = "Copyright 2024 The Valley Gazette. All rights reserved. Share this article with your friends."


def framed(body: str) -> str:
    """An article inside the site's navigation line and footer."""
    return f"{NAV}\n\n{body}\n\n{FOOTER}\n"


_EXTRA = [
    ("     for a, e in zip(         ARTICLES,         [             "),
    (
        "Volunteers who want to help are asked to join the monthly survey walks, which leave from the "
        "lighthouse car park at eight in the morning on the first Saturday."
    ),
    (
        "Hospital managers said waiting times in the emergency department had already fallen since the "
        "paediatric team moved upstairs into the brighter rooms."
    ),
    (
        "Economists warned that exports could fall this year unless the irrigation canals damaged by the "
        "flood are cleared before the dry season planting begins."
    ),
    (
        "Admission remains free for residents of the district, while visitors from elsewhere pay a small fee "
        "that goes towards the upkeep of the historic harbour cranes."
    ),
    (
        "The winning team will represent the country at the continental championship in autumn, and the club "
        "is now looking for sponsors to pay for the travel costs."
    ),
]

ARTICLES = [f"{a}\n\n{e}" for a, e in zip(ARTICLES, _EXTRA)]

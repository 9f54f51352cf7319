"""Hand-written test articles (not from the seeds), one list of paragraphs each."""

from __future__ import annotations

RIVER = [
    "Flood barriers along the lower Wendel river were raised on Thursday night after three days of heavy rain pushed "
    "the water level to its highest mark since the spring of 2009, the regional water authority said.",
    "Crews from four neighbouring towns worked through the night to fill sandbags at the old grain depot, while "
    "volunteers carried them to the embankment behind the sports ground where the bank is lowest.",
    "Residents of the riverside streets were told to move cars, garden furniture and anything stored in cellars to "
    "higher ground, and the primary school on Mill Lane will stay closed until the warning is lifted.",
    "Forecasters expect the rain to ease by Saturday afternoon, but the authority warned that the crest of the flood "
    "wave coming down from the hills would not reach the town before Sunday morning at the earliest.",
    "The last comparable flood damaged more than two hundred homes and led to a long dispute between the council and "
    "insurers over who should pay for the repair of the pumping station next to the weir.",
]

MUSEUM = [
    "The natural history museum in Brenner Park will open a new hall of fossils next spring, displaying a nearly "
    "complete skeleton of a marine reptile found by a retired teacher on a beach walk four years ago.",
    "Preparators spent more than eleven thousand hours freeing the bones from the surrounding limestone with dental "
    "tools and small air hammers, working in a glass workshop where visitors could watch them.",
    "Curator Amalia Soren said the animal was probably a young adult that died in shallow water and was buried "
    "quickly by mud, which explains why even the delicate bones of its paddles are preserved.",
    "The hall will also show a reconstruction of the ancient sea floor, with ammonites, sea lilies and the burrows of "
    "worms that lived there, and a touch table where children can handle casts of teeth.",
    "Entry to the new hall will be free for the first month, after which it will be included in the normal museum "
    "ticket, the board of trustees decided at its meeting on Tuesday evening.",
]

MARKET = [
    "Traders at the covered market on Alder Street have voted to keep the building open on Sunday mornings for a "
    "trial period of six months, ending a debate that has divided the stallholders since last autumn.",
    "Supporters of the change argued that families who work during the week have no other time to buy fresh fish, "
    "cheese and vegetables, and that the supermarkets on the ring road already open every day.",
    "Opponents, most of them older traders who run their stalls alone, said they could not work seven days a week "
    "and feared that customers would simply spread the same spending over more opening hours.",
    "Under the compromise, stalls may choose whether to open on Sundays, and the market association will publish a "
    "list of the traders taking part on its notice board and on the town website each week.",
    "The association will count visitors at the entrances during the trial and present the figures to the town "
    "council, which owns the building and must approve any permanent change to the opening hours.",
]

CHESS = [
    "A fourteen-year-old pupil from the Oakridge grammar school won the national junior chess championship on "
    "Sunday, beating the top seed in a tense final game that lasted almost six hours.",
    "She had qualified only as a reserve after another player withdrew with an injury, and few spectators expected "
    "her to survive the group stage against opponents who were several years older.",
    "Her coach, a former postman who runs the school club on Wednesday afternoons, said she studies endgames on the "
    "bus every morning and plays quick games online with friends in three countries.",
    "The title earns her a place in the European youth tournament in the autumn, and the school has started a "
    "collection among parents and local businesses to pay for the trip and the entry fee.",
]

GARDENING = [
    "Autumn is the best time to plant spring bulbs, as long as the ground is not frozen or waterlogged, and most "
    "tulips and daffodils should go in at about three times their own depth.",
    "Gardeners with heavy clay soil can mix in coarse grit at the bottom of each hole so that the bulbs do not rot "
    "during a wet winter, and a little bone meal helps the roots get established.",
    "Squirrels love freshly planted crocus corms, so cover the bed with a sheet of chicken wire for a few weeks until "
    "the soil has settled and the smell of disturbed earth has faded.",
]


def join(paragraphs: list[str], sep: str = "\n\n") -> str:
    """Join paragraphs with a separator (blank lines by default)."""
    return sep.join(paragraphs)

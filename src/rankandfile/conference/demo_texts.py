# ruff: noqa: E501 - data tables: one row per line reads better than wrapped text
"""Texts of the demo conference: the programme's history and this year's motions.

Paraphrased in the style of real conference motions; not quotations.
"""

from __future__ import annotations

# (year, title, topic, text, clp_for, clp_against, affiliate_for, affiliate_against, supersedes_title)
HISTORY: tuple[tuple[int, str, str, str, int, int, int, int, str], ...] = (
    (2019, "A public vote on any Brexit deal", "Brexit and Europe",
     "Conference resolves that any Brexit deal agreed by a government must be put to the people "
     "in a confirmatory public vote, with the option to remain in the European Union on the "
     "ballot paper. Labour MPs should vote for a confirmatory referendum whenever it is put to "
     "the House.", 301_220, 98_410, 1_710_554, 611_904, ""),
    (2019, "A permanent customs union with the EU", "Brexit and Europe",
     "Conference calls for a permanent and comprehensive UK-wide customs union with the European "
     "Union, with a British say in future trade deals, to protect manufacturing jobs and keep an "
     "open border on the island of Ireland.", 318_004, 81_612, 2_101_776, 220_110, ""),
    (2019, "No no-deal Brexit", "Brexit and Europe",
     "Conference opposes leaving the European Union without a withdrawal agreement. A no-deal "
     "Brexit would devastate jobs, medicines supply and peace in Northern Ireland. Labour will use "
     "every parliamentary means to prevent it.", 372_118, 27_330, 2_240_915, 81_022, ""),
    (2019, "Close alignment with the single market", "Brexit and Europe",
     "Conference supports close alignment with the single market, underpinned by shared "
     "institutions and obligations, with dynamic alignment on workers' rights, consumer standards "
     "and environmental protections.", 288_950, 110_402, 1_902_334, 419_800, ""),
    (2019, "Bring rail back into public ownership", "Public ownership",
     "Conference resolves to bring the railways back into public ownership as franchises expire, "
     "at no cost to the taxpayer, and to reinvest the profits in fares, staff and services.",
     385_004, 14_202, 2_288_103, 33_944, ""),
    (2019, "A Green New Deal", "Climate and energy",
     "Conference calls for a Green New Deal: a socialist plan to decarbonise the economy, working "
     "towards net zero carbon emissions by 2030, with a just transition guaranteeing good, "
     "unionised jobs.", 336_511, 62_890, 1_640_220, 680_554, ""),
    (2019, "An NHS free at the point of use", "NHS and social care",
     "Conference reaffirms that the NHS must be publicly funded, publicly provided and free at the "
     "point of use. Conference calls for an end to outsourcing and for the repeal of the Health and "
     "Social Care Act 2012.", 391_450, 8_120, 2_301_655, 20_113, ""),
    (2023, "A New Deal for working people", "Workers' rights",
     "Conference calls for a New Deal for working people: day-one employment rights, a ban on fire "
     "and rehire and on exploitative zero-hours contracts, a real living wage for all adults, and "
     "the repeal of anti-union laws.", 312_006, 40_118, 1_877_411, 55_204, ""),
    (2023, "Build 150,000 council homes a year", "Housing",
     "Conference calls for the biggest council house building programme in a generation, at least "
     "150,000 social rent homes a year, with an end to the right to buy and rent controls in the "
     "private sector.", 298_770, 53_901, 1_611_043, 321_992, ""),
    (2024, "Public ownership of energy", "Climate and energy",
     "Conference calls for the energy retail and network companies to be brought into democratic "
     "public ownership, to cut bills, end fuel poverty and deliver net zero with a just transition "
     "for energy workers.", 276_300, 61_455, 1_420_118, 468_902, ""),
    (2024, "Net zero by 2030 with a just transition", "Climate and energy",
     "Conference resolves to decarbonise the power system by 2030 and the whole economy as fast as "
     "possible, through public investment, with a just transition agreed with the trade unions "
     "representing affected workers.", 301_555, 36_212, 1_588_930, 300_070,
     "A Green New Deal"),
    (2025, "A National Care Service", "NHS and social care",
     "Conference calls for a National Care Service, publicly funded and publicly provided, free at "
     "the point of use, with national pay bargaining and a minimum of fifteen pounds an hour for "
     "care workers.", 330_410, 12_306, 1_801_202, 95_114, ""),
    (2025, "Rent controls and secure tenancies", "Housing",
     "Conference calls for rent controls in the private sector, open-ended secure tenancies, an end "
     "to no-fault evictions and a national landlord register, alongside 150,000 council homes a "
     "year.", 322_045, 19_880, 1_700_550, 180_227, "Build 150,000 council homes a year"),
    (2025, "Scrap the two-child limit", "Cost of living",
     "Conference calls for the two-child limit on benefits and the benefit cap to be scrapped "
     "immediately, lifting hundreds of thousands of children out of poverty.", 250_800, 92_400,
     1_150_010, 790_330, ""),
)  # fmt: skip

# This year's motions by topic: (title, text). Sentences are reused by the composites.
MOTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "Housing": (
        (
            "Homes for all, not for profit",
            "Conference notes that over a million households are on council waiting lists. "
            "Conference calls for 150,000 social rent homes a year built by councils. "
            "Conference demands an end to the right to buy.",
        ),
        (
            "End the housing emergency",
            "Conference notes record numbers of children in temporary accommodation. "
            "Conference calls for councils to be given the land, borrowing powers and funding to build. "
            "Conference supports rent controls and secure tenancies for private renters.",
        ),
        (
            "Rent controls now",
            "Conference notes that private rents rose faster than wages for three years running. "
            "Conference supports rent controls and secure tenancies for private renters. "
            "Conference calls for a national register of landlords.",
        ),
    ),
    "NHS and social care": (
        (
            "Save our NHS from privatisation",
            "Conference notes that waiting lists have passed seven million. "
            "Conference calls for an end to outsourcing and the return of all NHS services to public provision. "
            "Conference demands a fully funded pay rise for every NHS worker.",
        ),
        (
            "A National Care Service now",
            "Conference notes that care workers are among the lowest paid workers in the country. "
            "Conference calls for a National Care Service, publicly funded and publicly provided. "
            "Conference demands national pay bargaining for care workers.",
        ),
    ),
    "Public ownership": (
        (
            "Public ownership of water",
            "Conference notes that water companies paid billions in dividends while pumping sewage into rivers. "
            "Conference calls for water to be brought into democratic public ownership. "
            "Conference demands that the price paid reflects the companies' debts and failures.",
        ),
        (
            "Buses back under public control",
            "Conference notes that bus routes have been cut by a quarter in ten years. "
            "Conference calls for every bus network to be brought under public control. "
            "Conference supports free bus travel for under-22s.",
        ),
    ),
    "Climate and energy": (
        (
            "A just transition for energy workers",
            "Conference notes that energy workers fear for their jobs as oil and gas decline. "
            "Conference calls for a just transition agreed with the trade unions. "
            "Conference demands a guarantee of a job on equal terms for every affected worker.",
        ),
        (
            "Insulate Britain's homes",
            "Conference notes that Britain has the least energy-efficient homes in Western Europe. "
            "Conference calls for a ten-year programme to insulate every home, led by councils. "
            "Conference demands that the programme creates unionised jobs.",
        ),
    ),
    "Workers' rights": (
        (
            "Repeal the anti-union laws",
            "Conference notes that the Trade Union Act 2016 restricts the right to strike. "
            "Conference calls for the repeal of all anti-union laws. "
            "Conference demands sectoral collective bargaining across the economy.",
        ),
        (
            "Ban fire and rehire",
            "Conference notes that employers continue to use fire and rehire to cut pay. "
            "Conference calls for an outright ban on fire and rehire. "
            "Conference demands day-one rights for every worker.",
        ),
    ),
    "Cost of living": (
        (
            "Scrap the two-child limit now",
            "Conference notes that 1.6 million children live in households hit by the two-child limit. "
            "Conference calls for the two-child limit and the benefit cap to be scrapped. "
            "Conference demands free school meals for every child.",
        ),
    ),
    "Schools": (
        (
            "Fund our schools properly",
            "Conference notes that school budgets have fallen in real terms since 2010. "
            "Conference calls for a fully funded pay rise for school staff. "
            "Conference demands that academies return to local democratic control.",
        ),
    ),
    "Europe and trade": (
        (
            "A closer relationship with Europe",
            "Conference notes that trade barriers with the European Union have hit manufacturing. "
            "Conference calls for a permanent customs union with the European Union. "
            "Conference demands the protection of workers' rights in every trade agreement.",
        ),
    ),
}

OUT_OF_ORDER = (
    ("Support for the local hospital campaign",
     "Conference congratulates the campaign to save the maternity unit at our local hospital. "
     "Conference calls on the regional health board to reverse its decision.",
     "Out of order: the motion concerns a single local matter, not national policy (appendix 6)."),
    ("Rule book reform and NHS funding",
     "Conference calls for a review of the rule book. Conference also calls for more NHS funding.",
     "Out of order: the motion deals with more than one subject; submit one subject per motion."),
)  # fmt: skip


#: The NEC's statement put before the demo conference for amendment (issue 16.5).
NEC_STATEMENT = (
    "Conference welcomes the growth of the Party's membership and resolves to put members at "
    "the centre of every campaign. Every constituency party will hold an open policy meeting "
    "each quarter, and the NEC will report to next year's conference on how members' "
    "proposals were taken up."
)

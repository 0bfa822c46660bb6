"""Policy packs (81号 and any later pack) as cited, dated rules, evaluated column-wise like the criteria.

``loader`` reads packs strictly; ``engine`` evaluates event-driven measures over ``Tables`` (conditions,
amounts, caps, annual pools, 从优、就高、不重复 overlaps, city/district split); ``explain`` turns result rows
into traced entitlements; ``standing`` evaluates measures that apply to an enterprise without an event;
``contract`` is ``srdi entitle``; ``simulate`` costs a pack over a whole database.
"""

"""The example news pages in tests/data: what each must give (its paragraphs) and must never give (its furniture)."""
from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parent / "data"
# Lines of page furniture in tests/data: none may reach an article's text or a chunk.
FURNITURE = {
    "harbour.html": ["We use cookies", "Accept all cookies", "Manage preferences", "Property listings",
                     "Subscribe for", "Search the Courier", "Luxury sea-view", "Advertisement", "Win a family break",
                     "Share on Facebook", "Share on X", "Email this story", "Copy link", "Share this story",
                     "Sign up to our free", "Get the Courier in your inbox", "Related stories", "Storm Isha leaves",
                     "Quay businesses count", "Comments (3)", "Seagull_Steve", "About time!", "Shocking priorities",
                     "reported in 2019", "Join the discussion", "Local plumbers", "Privacy policy",
                     "All rights reserved", "dataLayer", "Home", "Local Democracy Reporter"],
    "brief.html": ["Your privacy matters", "I agree", "More options", "Tide times", "Salcombe Harbour Hotel",
                   "16 March 2024", "Share on Facebook", "Share on WhatsApp", "Sponsored", "five best walks",
                   "More from South Hams Today", "Hundreds join beach clean", "thoughts on", "Well done to the crew",
                   "People never learn", "Estuary Media"],
    "ferry.htm": ["Log in", "This website uses cookies", "Most read", "Bypass plans", "Pub reopens", "Share:",
                  "ADVERTISEMENT", "Cheap car insurance", "Read more", "Winter ferry timetable", "Tags:",
                  "You might also like", "not affordable", "Harbour dues", "4 comments", "jimbo_77", "Disgraceful",
                  "IslandLass", "Reply | Report", "Registered in England", "Privacy"],
}
# Every paragraph of the article itself, in order: the extracted text is exactly these lines.
PARAGRAPHS = {
    "harbour.html": [
        "Harbour wall repairs to cost £4.2m after winter storms",
        "Council approves emergency work on the Victorian sea defences at Kingsbridge.",
        "Emergency repairs to the harbour wall at Kingsbridge will cost £4.2 million, the district council confirmed "
        "on Wednesday, after February's storms tore a twelve-metre breach in the Victorian sea defence.",
        "Councillors voted 31 to 4 to release the money from reserves, warning that another winter of high tides "
        "could flood more than 200 homes and businesses along the quay.",
        "Harbour master Tom Pengelly said the breach had widened by nearly a metre since January. “Every spring tide "
        "takes a little more of the wall with it,” he said. “We cannot wait for the next storm season.”",
        "The work, to be carried out by Westcountry Marine Engineering, will replace 140 metres of granite facing and "
        "rebuild the wall's footings in concrete. It is due to start in May and finish by the end of October.",
        "The Environment Agency has agreed to contribute £1.1 million of the cost, leaving the council to find the "
        "remaining £3.1 million. Council leader Priya Shah said the authority would seek the balance from the "
        "government's coastal resilience fund.",
        "Fishing boats will be moved to moorings in the outer harbour while the work is under way, and the slipway "
        "will close to the public from 6 May.",
    ],
    # a short article: trafilatura alone keeps the sponsored block inside <article>
    "brief.html": [
        "Lifeboat crew rescue two kayakers off Bolt Head",
        "Salcombe's lifeboat crew rescued two kayakers who were swept onto rocks below Bolt Head on Saturday "
        "afternoon, the RNLI said.",
        "Both were taken to Derriford Hospital as a precaution. The coxswain, Sam Widdicombe, urged paddlers to check "
        "the tide times before setting out.",
    ],
    "ferry.htm": [
        "Return fares on the ferry to Holm Island will rise by 8% from 1 April, the operator Holm Sound Ferries said "
        "on Tuesday, taking the adult return ticket from £12.50 to £13.50.",
        "The company blamed the rising cost of fuel and a new safety rule that requires a second deckhand on every "
        "crossing. It said the price of a car return would go up from £48 to £52.",
        "Islanders' association chair Morag Linklater said many of the island's 640 residents rely on the ferry for "
        "work, school and hospital appointments. \"For a family crossing twice a week this is another £200 a year,\" "
        "she said.",
        "The operator said residents' season tickets would be frozen at 2023 prices until the end of the year.",
    ],
}

"""The people pass: whose leads ("my leads", "unassigned", a rep by name from the store)."""

from __future__ import annotations

import re

from leadpilot.agent.planner.reading import Reading


class Owners(Reading):
    """Reads the owner condition: me, unassigned, or reps named in the question."""

    def read_owner(self) -> None:
        # "my team's leads", "our team": the reps of the asker's roster team (before "my" is read as me).
        self.take(r"\b(?:my|our)\s+(?:team|squad|pod)(?:'s|s')?(?=\W|$)", lambda m: self.add("owner", "my team"))
        self.take(
            r"\b(?:on\s+my\s+plate|my\s+(?:book(?:\s+of\s+business)?|territory|patch|portfolio|pipe)|assigned\s+to\s+me|owned\s+by\s+me|(?:that\s+|do\s+|did\s+)?i\s+(?:own|have|got)|i've\s+got|"
            r"i'm\s+working(?:\s+on)?|for\s+me|my|mine)\b",
            lambda m: self.add("owner", "me"),
        )
        self.take(
            r"\b(?:unassigned|not\s+(?:yet\s+)?assigned(?:\s+to\s+anyone)?|(?:without\s+(?:an?\s+)?|with\s+no\s+|no\s+)(?:sales\s+|account\s+|lead\s+)?owners?|"
            r"ownerless|(?:nobody|no\s+one)\s+(?:owns|has)(?!\s+(?:been\s+)?(?:contacted|touched|called|emailed|reached|followed|spoken|talked))|unowned|unrouted|not\s+(?:yet\s+)?routed"
            r"|unclaimed|not\s+(?:yet\s+)?(?:picked\s+up|claimed|taken)(?:\s+by\s+(?:anyone|anybody|a\s+rep|any\s+rep))?|(?:nobody|no\s+one)\s+(?:has\s+)?(?:picked|claimed|taken)(?:\s+(?:it|them))?(?:\s+up)?)\b",
            lambda m: self.add("owner", "unassigned"),
        )
        # "sitting with Web Leads": an owner name of the file that is no rep (a queue), as the import left it: unassigned.
        if self.vocabulary.queues and (queues := [q for q in self.vocabulary.queues if q in self.text]):
            self.take(rf"\b(?:{'|'.join(re.escape(q) for q in sorted(queues, key=len, reverse=True))})(?:\s+queues?)?\b",
                      lambda m: self.add("owner", "unassigned"), gated=False)
        # "the queue", "the web leads queue": a CRM queue holds the leads no rep owns yet (a queue is not a rep).
        self.take(r"\b(?:(?:web|inbound|new|lead|leads|unassigned|sales|marketing|round[\s-]robin|shared|triage)\s+){0,3}queues?\b",
                  lambda m: self.add("owner", "unassigned"))
        def rep(key: str, start: int, end: int) -> None:
            self.add("owner", self.vocabulary.reps[key])
            # "the leads Maya owns", "what Diego is working on": the verb after the name says no more.
            verb = re.match(r"\s+(?:owns?|has|have|holds?|handles?|is\s+(?:working|handling)(?:\s+on)?|works?(?:\s+on)?|got)\b"
                            r"|(?:'s|s')?\s+(?:plate|desk|book(?:\s+of\s+business)?|pipe|territory|patch|portfolio)\b", self.text[end:])
            on = re.search(r"\b(?:on|in|from)\s+$", self.text[:start]) if verb and not verb.group(0)[:1].isspace() else None
            self.blank(on.start() if on else start, end + (verb.end() if verb else 0))  # "on Beatriz's plate": hers

        self.take(r"\b(?:owned\s+by|assigned\s+to|belonging\s+to|that\s+belong\s+to|handled\s+by|worked\s+by)\b(?=\s+\w)", lambda m: None)
        self.ngrams(self.vocabulary.reps, rep, max_words=3)

"""manage.py demo_data [--scale small|medium|full] [--seed N] [--reset]"""

from __future__ import annotations

import importlib
import random
import sys
import time
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from tqdm import tqdm

from shiguang.core import audit
from shiguang.demo import builders, futian
from shiguang.places import selectors as place_selectors

DEFAULT_SEED = 440304


class Command(BaseCommand):
    help = (
        "Load a synthetic Futian (福田区): the 10 real streets, 92 demo communities, the service network "
        "in the report's numbers (93 stations, 13 street centres, 309 posts, 1 district centre), elders "
        "and volunteers at the chosen scale, and one demo login per role (password 'shiguang-demo'). "
        "Every row is marked demo; the same --seed gives the same data. Refuses to run when demo data "
        "is already loaded. --reset first EMPTIES THE WHOLE DATABASE (manage.py flush, audit trail "
        "included) and is refused unless the database holds demo data only (no community, facility "
        "or district that is not demo)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        scales = [s for s in futian.SCALES if s != "tiny"]
        parser.add_argument(
            # 'tiny' (a handful of people) is for tests: accepted, but not shown in the help.
            "--scale",
            choices=list(futian.SCALES),
            default="small",
            metavar="{" + ",".join(scales) + "}",
            help="people to generate: "
            + ", ".join(
                f"{name} = {scale.elders:,} elders / {scale.volunteers:,} volunteers"
                for name, scale in futian.SCALES.items()
                if name in scales
            )
            + " (default: small)",
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (exit 0) when the demo data is already loaded; used by `make demo`",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="flush the whole database first; only allowed when it holds nothing but demo data",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.SETTINGS_MODULE.endswith("settings_production"):
            raise CommandError("demo_data never runs with the production settings (it creates known logins).")
        if options["if_empty"] and not options["reset"] and builders.demo_data_present():
            self.stdout.write("Demo data is already loaded; demo logins use the password 'shiguang-demo'.")
            return
        started = time.monotonic()
        stream = getattr(self.stderr, "_out", sys.stderr)
        quiet = options["verbosity"] == 0

        def bar(total: int, description: str) -> builders.Bar:
            return tqdm(total=total, desc=description, unit="row", file=stream, disable=quiet)

        if not getattr(settings, "DEMO_MODE", False) and not quiet:
            self.stderr.write(
                "Note: DEMO_MODE is off, so pages will not show the demo banner (set DEMO_MODE=1)."
            )
        scale = futian.SCALES[options["scale"]]
        rng = random.Random(options["seed"])
        # One transaction: a failure leaves the database as it was (with --reset: the old demo is kept).
        with transaction.atomic():
            self._guard(reset=options["reset"])
            ids = builders.Identities(rng)
            places = builders.build_places(rng, bar)
            personas = builders.build_personas(rng, places, ids, bar)
            elders = builders.build_elders(rng, places, ids, scale.elders, bar)
            volunteers = builders.build_volunteers(rng, places, ids, scale.volunteers, personas.admin, bar)
            domain_lines = self._domains(options["scale"], options["seed"], quiet)
            audit.record(
                "demo.data.loaded",
                actor=personas.admin,
                data={
                    "scale": options["scale"],
                    "seed": options["seed"],
                    "elders": elders + 1,
                    "volunteers": volunteers + 1,
                    "facilities": places.facilities,
                },
            )
        for line in domain_lines:
            self.stdout.write(line)
        self._summary(places, elders + 1, volunteers + 1, personas, time.monotonic() - started)

    def _domains(self, scale: str, seed: int, quiet: bool) -> list[str]:
        """Each domain app may ship `<app>/demo.py` with `build(*, scale, rng) -> str`; run in app order."""
        lines = []
        for index, config in enumerate(apps.get_app_configs()):
            if not config.name.startswith("shiguang.") or config.name == "shiguang.demo":
                continue
            try:
                module = importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            if not quiet:
                self.stderr.write(f"Demo data: {config.label} ...")
            summary = module.build(scale=scale, rng=random.Random(seed * 1000 + index))
            lines.append(f"{config.verbose_name}: {summary}")
        return lines

    def _guard(self, *, reset: bool) -> None:
        foreign = builders.non_demo_data()
        if reset:
            if foreign:
                raise CommandError(
                    "Refusing --reset: this database holds data that is not demo data ("
                    + "; ".join(foreign)
                    + "). --reset flushes everything, so it only runs on a demo database."
                )
            self.stderr.write("Flushing the demo database (all tables, audit trail included)...")
            builders.flush_demo_database()
            return
        if foreign:
            raise CommandError(
                "Refusing to add demo data to a database with real data (" + "; ".join(foreign) + ")."
            )
        if builders.demo_data_present():
            raise CommandError(
                "Demo data is already loaded (福田区 / demo communities / demo logins exist). "
                "Run `manage.py demo_data --reset` to flush this demo database and build it again."
            )

    def _summary(
        self,
        places: builders.Places,
        elders: int,
        volunteers: int,
        personas: builders.Personas,
        seconds: float,
    ) -> None:
        out = self.stdout
        cov = place_selectors.coverage()
        out.write(
            f"{places.district.name}: {len(places.streets)} streets, {len(places.communities)} communities, "
            f"{sum(c.elder_population for c in places.communities):,} residents over 60 (community totals)"
        )
        out.write(
            f"Facilities: {cov['stations']} community stations, {cov['street_centres']} street centres, "
            f"{cov['posts']} service posts, {places.facilities.get('district_centre', 0)} district centre"
        )
        out.write(
            f"Coverage: {cov['covered']} of {cov['ageing_communities']} ageing communities have a station "
            f"({cov['coverage']:.1%})"
        )
        out.write(f"People: {elders:,} elders, {volunteers:,} volunteers (including the demo personas)")
        rows = [("role", "login", "password", "scope")] + [
            (p.role, p.login, futian.DEMO_PASSWORD, p.scope) for p in personas.rows
        ]
        widths = [max(_width(row[i]) for row in rows) for i in range(4)]
        out.write("")
        for index, row in enumerate(rows):
            out.write("  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip())
            if index == 0:
                out.write("  ".join("-" * w for w in widths))
        out.write("")
        out.write(self.style.SUCCESS(f"Demo data loaded in {seconds:.1f} s."))


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))

"""``zoo weights`` subcommands: ``fetch``, ``verify``, ``list``. Stdlib only.

Wire into the main CLI as ``zoo weights <args>`` -> ``zoo.weights.cli.main(args)``.
"""

from __future__ import annotations

import argparse
import sys

from zoo.weights.errors import WeightsError


def main(argv: list[str] | None = None) -> int:
    """Run a weights subcommand.

    Args:
        argv (list[str] | None): Arguments after ``zoo weights``; default ``sys.argv[1:]``.

    Returns:
        (int): Exit status (0 ok, 1 error).
    """
    parser = argparse.ArgumentParser(prog="zoo weights", description="Manage zoo's pinned weights cache.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("fetch", help="download and verify weights into the cache")
    p.add_argument("names", nargs="+", help="'<model>.<tag>' names or URLs")
    p.add_argument("--allow-unverified", action="store_true")
    p = sub.add_parser("verify", help="check cached weights or files (no download)")
    p.add_argument("names", nargs="+", help="'<model>.<tag>' names or file paths")
    p = sub.add_parser("list", help="list manifest entries")
    p.add_argument("model", nargs="?", help="only this model")
    args = parser.parse_args(argv)

    from zoo.weights.fetching import fetch, verify
    from zoo.weights.manifest import load_manifest

    try:
        if args.command == "fetch":
            for n in args.names:
                print(fetch(n, allow_unverified=args.allow_unverified))
        elif args.command == "verify":
            for n in args.names:
                verify(n)
                print(f"{n}: ok")
        else:
            m = load_manifest()
            entries = m.for_model(args.model) if args.model else sorted(m, key=lambda e: e.name)
            for e in entries:
                is_default = args.model in e.default_models if args.model else e.default
                flags = " ".join(f for f, on in (("default", is_default), ("unverified", e.unverified)) if on)
                # a shared file is listed under the asked model's name, with what it covers there
                name = f"{args.model}.{e.tag}" if args.model else e.name
                also = f" (also {', '.join(e.shared_with)})" if e.shared_with and not args.model else ""
                size = e.size or "unknown"  # only the digest is published: the download is capped
                print(f"{name:50s} {e.coverage_for(args.model):13s} {e.layout:11s} {size:>12} {flags}{also}")
    except WeightsError as e:
        print(f"zoo weights {args.command}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

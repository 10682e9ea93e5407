#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, from the shared Yate cases and real configs.

Writes fuzz/seeds/conf/ (configuration files, for ini_parse, rule_parse, compile and
roundtrip) and fuzz/seeds/run/ (a configuration, then 0xFF and one message per
input line, in the byte layout `rexroute::fuzzing::run` reads). Run from anywhere:
    python3 fuzz/seeds/make_seeds.py [../shared]
"""
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
SHARED = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[2] / "shared"
MAX_INPUT = 4096  # rexroute::fuzzing::MAX_INPUT
SEP = b"\xff"  # rexroute::fuzzing::SEPARATOR


def message(m):
    """Message bytes: first byte picks the name (see `rexroute::fuzzing::message`)."""
    name = m.get("name", "call.route")
    params = m.get("params", {})
    items = params.items() if isinstance(params, dict) else [tuple(p) for p in params]
    body = "".join(f"{k}={v}\n" for k, v in items).encode()
    if name == "call.route":
        return (b"\n" + body) if body[:1] in (b"P", b"N") else body
    if name == "call.preroute":
        return b"P" + body
    return b"N" + name.encode() + b"\n" + body


def main():
    conf_dir, run_dir = HERE / "conf", HERE / "run"
    conf_dir.mkdir(exist_ok=True)
    run_dir.mkdir(exist_ok=True)
    cases = sorted((SHARED / "conformance/route").glob("*/regexroute.conf"))
    for conf in cases[::3]:
        case = conf.parent
        text = conf.read_bytes().replace(b"rr-inc.conf", b"inc.conf")
        inc = case / "rr-inc.conf"
        whole = text + (SEP + inc.read_bytes() if inc.exists() else b"")
        if len(whole) <= MAX_INPUT:
            (conf_dir / f"{case.name}.conf").write_bytes(whole)
        msgs = [json.loads(l) for l in (case / "input.jsonl").read_text().splitlines() if l.strip()]
        seed = text + b"".join(SEP + message(m) for m in msgs[:4])
        if len(seed) <= MAX_INPUT:
            (run_dir / case.name).write_bytes(seed)
    for real in sorted((SHARED / "corpus/real").glob("[01]*.conf")):
        if real.stat().st_size <= 1500:
            (conf_dir / real.name).write_bytes(real.read_bytes())


if __name__ == "__main__":
    main()

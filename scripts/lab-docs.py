#!/usr/bin/env python3
"""Copies what a lab run measured into the docs, so that no figure there is typed by hand.

    python3 scripts/lab-docs.py LAB_OUT "WHEN"    e.g. scripts/lab-docs.py lab-out "2026-12-02 03:00-03:18 UTC"

Reads LAB_OUT/report.md (the run's verdict table and comparison) and rewrites, in docs/kubernetes.md,
every block between <!-- lab-report:NAME --> and <!-- /lab-report:NAME --> with scenario NAME's
verdicts, and in README.md and docs/lab.md the block between <!-- lab-compare --> and
<!-- /lab-compare --> with the comparison (docs/lab.md: and the seed's options table). Scenarios the run did not cover are left as they are.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def tables(report):
    verdicts, compare, options, section = {}, [], [], None
    for line in report.splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        elif section == "Comparison" and line.startswith("|"):
            compare.append(line)
        elif section == "The seed's options, measured" and line.startswith("|"):
            options.append(line)
        elif section == "Verdicts" and line.startswith("| ["):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            name = re.match(r"\[([a-z0-9-]+)\]", cells[0]).group(1)
            verdicts.setdefault(name, []).append(cells[2:])  # expectation, measured, result
    return verdicts, compare, options


def replace_block(text, tag, body):
    pat = re.compile(r"(<!-- %s -->\n).*?(<!-- /%s -->)" % (re.escape(tag), re.escape(tag.split(" ")[0])), re.S)
    return pat.sub(lambda m: m.group(1) + body + m.group(2), text)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    out, when = pathlib.Path(sys.argv[1]), sys.argv[2]
    report = (out / "report.md").read_text()
    if "Timings: default" not in report:
        sys.exit(f"{out}/report.md is not a default-timing run (make lab); refusing to put it in the docs")
    verdicts, compare, options = tables(report)
    passed = sum(1 for rows in verdicts.values() for r in rows if r[2] == "pass")
    total = sum(len(rows) for rows in verdicts.values())
    k8s = ROOT / "docs" / "kubernetes.md"
    text = k8s.read_text()
    proxy = {}
    for line in compare[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        proxy[cells[0]] = cells[-1]
    for name, rows in verdicts.items():
        ran = proxy.get(name, "-")
        where = f"{ran.split(',')[0]} running this folder's Envoy config" if ran != "-" else "no proxy"
        body = (f"> **What the lab measured** for this scenario (`make lab`, default timings, {when}; on one "
                f"machine, {where}; details in [lab.md](lab.md)):\n>\n"
                "> | expectation | measured | result |\n> |---|---|---|\n")
        body += "".join(f"> | {e} | {m} | {r} |\n" for e, m, r in rows)
        text = replace_block(text, f"lab-report:{name}", body)
    k8s.write_text(text)
    summary = (f"A run of `make lab` on {when}, as root on a 2-core VM (network namespaces; ClusterIP by "
               f"iptables; Envoy 1.40.0): {passed} of {total} expectations held. The comparison it ends with, "
               "every figure measured in that run:\n\n" + "\n".join(compare) + "\n")
    with_options = summary + ("\nThe seed's options, its verdict on each quoted (lab/options.yaml), beside what the same "
                              "run measured:\n\n" + "\n".join(options) + "\n" if options else "")
    for doc, body in ((ROOT / "README.md", summary), (ROOT / "docs" / "lab.md", with_options)):
        t = doc.read_text()
        if "<!-- lab-compare -->" in t:
            doc.write_text(replace_block(t, "lab-compare", body))
    print(f"{passed}/{total} expectations; {len(verdicts)} scenarios copied")


main()

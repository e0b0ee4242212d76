#!/usr/bin/env python3
"""Copies each tagged source region into the Markdown code block that names it.

A block is marked by `<!-- snippet: PATH#TAG -->` on the line before its fence; the region is the
lines between `// tag::TAG[]` and `// end::TAG[]` in PATH, with their common indentation removed.
DocSnippetsTest (in ./mvnw verify) fails while a document and its source disagree; run this from
the repository root to bring the documents up to date, then read the diff.
"""
import pathlib, re, sys

MARKER = re.compile(r"(<!-- snippet: (\S+)#(\S+) -->\n```[a-z]*\n)(.*?)(```)", re.S)

def region(path, tag):
    lines = pathlib.Path(path).read_text().split("\n")
    start = next(i for i, l in enumerate(lines) if l.strip() == f"// tag::{tag}[]") + 1
    end = next(i for i, l in enumerate(lines) if l.strip() == f"// end::{tag}[]")
    body = lines[start:end]
    indent = min((len(l) - len(l.lstrip()) for l in body if l.strip()), default=0)
    return "".join((l[indent:] if l.strip() else "") + "\n" for l in body)

changed = 0
for doc in [pathlib.Path("README.md"), *pathlib.Path("docs").rglob("*.md")]:
    text = doc.read_text()
    new = MARKER.sub(lambda m: m.group(1) + region(m.group(2), m.group(3)) + m.group(5), text)
    if new != text:
        doc.write_text(new)
        changed += 1
        print(f"updated {doc}")
sys.exit(0)

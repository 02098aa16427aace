#!/usr/bin/env bash
# Rebuilds DESIGN-NOTES.md: the decision summary below, then every measured note in docs/notes/.
set -euo pipefail
cd "$(dirname "$0")/.."
{
  cat docs/design-notes-summary.md
  for f in docs/notes/*.md; do
    printf '\n---\n\n'
    cat "$f"
  done
} > DESIGN-NOTES.md

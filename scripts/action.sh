#!/usr/bin/env bash
# The GitHub Action's logic (action.yml runs it), testable on its own: reads the event GitHub
# recorded (GITHUB_EVENT_NAME, GITHUB_EVENT_PATH), runs countersign on what the event lands,
# writes a Markdown job summary to GITHUB_STEP_SUMMARY, and exits as verify does (0 covered,
# 1 a violation, 2 cannot check). The commit ids come from the payload, never from a branch
# name, so a tag or branch named like the base can't stand in for it.
#
# Environment: COUNTERSIGN (the binary, default countersign on PATH), COUNTERSIGN_SARIF (a file
# to write `scan --format sarif` to, optional), COUNTERSIGN_PUSH (audit: `log`, the default,
# or `verify` to fail a push that landed something uncovered), COUNTERSIGN_FETCH (0: don't
# fetch the approvals store and the review notes from origin first).
set -euo pipefail
cs=${COUNTERSIGN:-countersign}
summary=${GITHUB_STEP_SUMMARY:-/dev/null}
event=${GITHUB_EVENT_NAME:?GITHUB_EVENT_NAME is not set: run this from GitHub Actions, or set it}
payload=${GITHUB_EVENT_PATH:?GITHUB_EVENT_PATH is not set}
zero=0000000000000000000000000000000000000000

field() { jq -er "$1 // empty" "$payload"; }
case "$event" in
pull_request | pull_request_target)
	base=$(field .pull_request.base.sha) head=$(field .pull_request.head.sha) mode=verify ;;
merge_group)
	base=$(field .merge_group.base_sha) head=$(field .merge_group.head_sha) mode=verify ;;
push)
	base=$(field .before) head=$(field .after) mode=${COUNTERSIGN_PUSH:-log} ;;
*)
	echo "countersign: the $event event is not one countersign checks (pull_request, merge_group, push)" >&2
	exit 2 ;;
esac
for id in "$base" "$head"; do
	[[ $id =~ ^[0-9a-f]{40}([0-9a-f]{24})?$ ]] || { echo "countersign: '$id' in the $event payload is not a commit id" >&2; exit 2; }
done
if [ "$head" = "$zero" ] || [ "$base" = "$zero" ]; then
	# A deleted branch lands nothing; a new one has no earlier tip to audit against.
	printf '## countersign\n\nNothing to check: the %s event has no earlier tip (%s..%s).\n' "$event" "$base" "$head" >>"$summary"
	exit 0
fi
if [ "${COUNTERSIGN_FETCH:-1}" != 0 ]; then
	git fetch --quiet --no-tags origin '+refs/notes/*:refs/notes/*' '+refs/countersign/*:refs/countersign/*' ||
		echo "::warning::countersign: could not fetch the approvals store and the review notes from origin"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
range="$base..$head"
status=0
"$cs" "$mode" "$range" --policy-ref "$base" --format json >"$work/report.json" 2>"$work/stderr" || status=$?
cat "$work/stderr" >&2
"$cs" scan "$range" --format json >"$work/scan.json" 2>/dev/null || echo '{"commits": []}' >"$work/scan.json"
if [ -n "${COUNTERSIGN_SARIF:-}" ]; then
	"$cs" scan "$range" --format sarif >"$COUNTERSIGN_SARIF"
fi

{
	echo "## countersign: $mode $event"
	echo
	echo "Range \`${base:0:10}..${head:0:10}\`, policy and signers read from \`${base:0:10}\`."
	echo
	if [ ! -s "$work/report.json" ]; then
		echo "**Could not check** (exit $status): $(head -n 1 "$work/stderr" | sed 's/[|<>]/\\&/g')"
	else
		jq -r --slurpfile scan "$work/scan.json" '
			def esc: gsub("[|<>`]"; "\\\(.)") | gsub("\n"; " ");
			def top($id): [$scan[0].commits[]? | select(.id == $id) | .hunks[] | select(.ai_touched)
				| .file as $f | .findings[] | {s: .severity, t: "\(.severity) \($f):\(.line // "?") \(.message) [\(.rule)]"}]
				| sort_by({"critical":0,"high":1,"medium":2,"low":3}[.s]) | .[:3] | map(.t | esc) | join("<br>");
			def who: if .signers then [.signers[] | "\(.principal) (\(.scope), \(.route))"]
				else [.approvals[] | "\(.signer) (\(.route))"] end | join(", ");
			def missing: if .checks then [.checks[] | select(.status == "failed") | "\(.name): \(.reason)"]
				else .missing end | map(esc) | join("<br>");
			(if .passed == true then "**Passed**: every commit that lands is countersigned."
			 elif .passed == false then "**Failed**: some commits are not covered."
			 else "Audit of what landed." end),
			(if (.chain // .refused) then "\n**Refused**: \((.chain // .refused) | esc)" else empty end),
			"",
			"| commit | status | approved by | missing | top findings |",
			"| --- | --- | --- | --- | --- |",
			(.commits[] | "| `\(.id[:10])` \(.summary | esc) | \(.status) | \(who | esc) | \(missing) | \(top(.id)) |")
		' "$work/report.json"
	fi
	echo
} >>"$summary"
exit $status

#!/bin/sh
# The store is the one owner of the database (issue 19): outside store/ and
# tests/, no C source holds an SQL statement or calls SQLite, and reports/
# links the store and common, nothing of the engine, the HTTP client or the
# mock. Exit 1 naming each place that breaks this.
# usage: check_sql_owner.sh SOURCE_DIR
set -u
root=${1:-.}
cd "$root" || exit 2
[ -d store ] && [ -d reports ] || { echo "check_sql_owner: $root is not the source tree" >&2; exit 2; }
status=0
# every C file of the rooms, bench/ and deploy/: store/ and tests/ aside
files=$(find common patterns mockserver reports harness bench deploy -name '*.[ch]' 2>/dev/null)
# an SQL statement in a string literal: a keyword as SQL writes it, upper case,
# followed by what the statement takes
sql='"[^"]*\<(SELECT [^"]*FROM|INSERT INTO|CREATE (TEMP |TEMPORARY )?(TABLE|VIEW|INDEX)|UPDATE [A-Za-z_.]+ SET|DELETE FROM|ALTER TABLE|DROP (TABLE|VIEW)|ATTACH|PRAGMA [a-z_]+)'
found=$(grep -nE "$sql" $files /dev/null)
if [ -n "$found" ]; then
    echo "SQL outside store/ (ask store/reader.h, or add to the store):" >&2
    echo "$found" >&2
    status=1
fi
found=$(grep -nE '\<sqlite3(_[a-z_0-9]+)?\>|<sqlite3\.h>' $files /dev/null)
if [ -n "$found" ]; then
    echo "SQLite used outside store/:" >&2
    echo "$found" >&2
    status=1
fi
# what reports links: its target_link_libraries, continued lines included
links=$(sed -n '/target_link_libraries(reports/,/)/p' reports/CMakeLists.txt)
for bad in SQLITE harness_ mockserver patterns CURL MHD UV; do
    if echo "$links" | grep -q "$bad"; then
        echo "reports/CMakeLists.txt links $bad: reports links store and common only" >&2
        status=1
    fi
done
echo "$links" | grep -q '\<store\>' || { echo "reports/CMakeLists.txt does not link store" >&2; status=1; }
[ $status -eq 0 ] && echo "check_sql_owner: $(echo "$files" | wc -w) files outside store/, no SQL"
exit $status

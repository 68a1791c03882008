grep -q 'Installing APT Packages' "$log" || fail "no apt fold"
grep -q '^Hello, world!' "$log" || fail "the package was not installed"
grep -q '\[fold:start:apt\]' "$nlog" || fail "no apt fold marker"

# Object by object, with the aws CLI: keys, bodies, Content-Type,
# Cache-Control, ACL and storage class.
printf 'build 1 of master\n' >"$tmp/build.txt"
want_keys="www/build.txt
www/css/site.css
www/data.json
www/docs/a b+c.txt
www/img/logo.png
www/index.html
www/js/app.js"
got_keys=$(awsq s3api list-objects-v2 --bucket site --prefix www/ |
	jq -r '.Contents[].Key' | sort)
[ "$got_keys" = "$want_keys" ] ||
	fail "keys: $(echo $got_keys) (the dot-file must not be there)"
while IFS='|' read -r key type cache src; do
	awsq s3api get-object --bucket site --key "$key" "$tmp/body" \
		>"$tmp/head.json" || { fail "get-object $key"; continue; }
	cmp -s "$tmp/body" "$src" || fail "$key: body differs from $src"
	got=$(jq -r '[.ContentType, .CacheControl, .StorageClass] | join("|")' \
		"$tmp/head.json")
	[ "$got" = "$type|$cache|STANDARD_IA" ] ||
		fail "$key: $got, expected $type|$cache|STANDARD_IA"
	acl=$(awsq s3api get-object-acl --bucket site --key "$key" |
		jq -r '[.Grants[] | select(.Grantee.URI == "http://acs.amazonaws.com/groups/global/AllUsers") | .Permission] | join(",")')
	[ "$acl" = READ ] || fail "$key: AllUsers grants '$acl', expected READ (public_read)"
done <<LIST
www/build.txt|text/plain|no-cache|$tmp/build.txt
www/css/site.css|text/css|public, max-age=3600|$case/files/src/css/site.css
www/data.json|application/json|no-cache|$case/files/src/data.json
www/docs/a b+c.txt|text/plain|no-cache|$case/files/src/docs/a b+c.txt
www/img/logo.png|image/png|no-cache|$case/files/src/img/logo.png
www/index.html|text/html|no-cache|$case/files/src/index.html
www/js/app.js|text/javascript|public, max-age=3600|$case/files/src/js/app.js
LIST
grep -q 'Uploading 7 files with up to 5 threads' "$log" || fail "no upload line"
grep -q '^after_deploy ran' "$log" || fail "after_deploy did not run"

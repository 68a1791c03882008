# 100 MiB: CreateMultipartUpload, 20 parts of 5 MiB, Complete; the
# object is byte for byte what the job made.
head=$(awsq s3api head-object --bucket big --key big.bin)
[ "$(echo "$head" | jq -r .ContentLength)" = 104857600 ] || fail "size: $head"
case $(echo "$head" | jq -r .ETag) in
*-20\") ;;
*) fail "ETag $(echo "$head" | jq -r .ETag) is not a 20-part upload's" ;;
esac
requests >"$tmp/requests"
n=$(grep -c '^s3:PUT /big/big.bin?partNumber=' "$tmp/requests")
[ "$n" -eq 20 ] || fail "$n UploadPart requests, expected 20"
grep -q '^s3:POST /big/big.bin?uploads' "$tmp/requests" || fail "no CreateMultipartUpload"
grep -q '^s3:POST /big/big.bin?uploadId=' "$tmp/requests" || fail "no CompleteMultipartUpload"
want=$(openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f \
	-iv 00000000000000000000000000000000 -in /dev/zero 2>/dev/null |
	head -c 104857600 | md5sum | cut -d' ' -f1)
got=$(awsq s3 cp s3://big/big.bin - | md5sum | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "the object's MD5 $got, the job's file $want"

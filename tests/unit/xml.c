#include "compat.h"

#include "buf.h"
#include "fs.h"
#include "unit.h"
#include "xml.h"

/* The shared S3 and STS fixtures, read at test time. */
static struct xml_node *load(const char *name)
{
	struct buf b = BUF_INIT;
	struct xml_node *root = NULL;
	char path[512];

	snprintf(path, sizeof(path), "aws-vectors/protocol-fixtures/%s", name);
	if (fs_read_file(&b, unit_shared(path)) < 0 ||
	    xml_parse(&root, b.ptr, b.len) < 0)
		root = NULL;
	buf_release(&b);
	return root;
}

void test_xml__s3_errors(void)
{
	static const struct {
		const char *file, *code, *extra, *extra_val;
	} cases[] = {
		{ "s3/error.NoSuchKey.xml", "NoSuchKey", "Key", "missing.txt" },
		{ "s3/error.SlowDown.xml", "SlowDown", "RequestId",
		  "4442587FB7D0A2F9" },
		{ "s3/error.AuthorizationHeaderMalformed.xml",
		  "AuthorizationHeaderMalformed", "Region", "eu-west-1" },
		{ "s3/error.EntityTooSmall.xml", "EntityTooSmall",
		  "MinSizeAllowed", "5242880" },
		{ "s3/CompleteMultipartUpload.200-error.xml", "InternalError",
		  "RequestId", "656c76696e6727732072657175657374" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct xml_node *root = load(cases[i].file);

		check(root);
		check_str(root->name, "Error");
		check_str(xml_child_text(root, "Code"), cases[i].code);
		check_str(xml_child_text(root, "Message") ? "yes" : "no",
			  "yes");
		check_str(xml_child_text(root, cases[i].extra),
			  cases[i].extra_val);
		xml_free(root);
	}
}

void test_xml__listing_and_entities(void)
{
	struct xml_node *root = load("s3/ListBucketResult.v2.truncated.xml");
	size_t n = 0;

	check(root);
	check_str(root->name, "ListBucketResult");
	check_str(xml_child_text(root, "IsTruncated"), "true");
	check_str(xml_child_text(root, "NextContinuationToken"),
		  "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
	for (size_t i = 0; i < root->nr_kids; i++) {
		const struct xml_node *k = root->kids[i];

		if (strcmp(k->name, "Contents"))
			continue;
		if (!n++) {
			check_str(xml_child_text(k, "Key"), "site/index.html");
			check_str(xml_child_text(k, "ETag"),
				  "\"fba9dede5f27731c9771645a39863328\"");
			check_str(xml_child_text(k, "Size"), "434234");
		}
	}
	check_int(n, ==, 2);
	xml_free(root);
}

void test_xml__sts_paths(void)
{
	struct xml_node *ok = load("sts/AssumeRole.response.xml");
	struct xml_node *bad = load("sts/error.AccessDenied.xml");

	check(ok && bad);
	check_str(xml_path_text(ok, "AssumeRoleResult/Credentials/AccessKeyId"),
		  "ASIAIOSFODNN7EXAMPLE");
	check_str(xml_path_text(ok, "AssumeRoleResult/Credentials/Expiration"),
		  "2011-07-15T23:28:33.359Z");
	check(!xml_path(ok, "AssumeRoleResult/Nope/AccessKeyId"));
	check_str(xml_path_text(bad, "Error/Code"), "AccessDenied");
	check_str(xml_path_text(bad, "Error/Type"), "Sender");
	xml_free(ok);
	xml_free(bad);
}

void test_xml__syntax(void)
{
	static const struct {
		const char *in;
		const char *text; /* of the root, NULL: must fail */
	} cases[] = {
		{ "<a>x</a>", "x" },
		{ "  \n<?xml version=\"1.0\"?><a>x</a>\n", "x" },
		{ "<s3:a xmlns:s3=\"u\">x</s3:a>", "x" },
		{ "<a k='v' j=\"w\">&lt;&amp;&gt;&quot;&apos;</a>", "<&>\"'" },
		{ "<a>&#65;&#x42;&#xe9;</a>", "AB\xc3\xa9" },
		{ "<a><![CDATA[<b>&amp;]]></a>", "<b>&amp;" },
		{ "<a><!-- c --><b/>t</a>", "t" },
		{ "<!DOCTYPE a><a/>", "" },
		{ "<a>x</b>", NULL },
		{ "<a>x", NULL },
		{ "<a>&bogus;</a>", NULL },
		{ "<a>&#0;</a>", NULL },
		{ "<a>&#xD800;</a>", NULL },
		{ "<!DOCTYPE a [<!ENTITY e \"x\">]><a>&e;</a>", NULL },
		{ "<a/><b/>", NULL },
		{ "<a/>junk", NULL },
		{ "", NULL },
		{ "<a k=v/>", NULL },
		{ "<ab></a>", NULL },
		{ "<a></ab>", NULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct xml_node *root = NULL;
		int err = xml_parse(&root, cases[i].in, strlen(cases[i].in));

		if (!cases[i].text) {
			if (err != FY_EINVALID)
				unit_fail(__FILE__, __LINE__,
					  "'%s' parsed (err %d)", cases[i].in,
					  err);
			check_int(err, ==, FY_EINVALID);
			continue;
		}
		check_ok(err);
		check_str(root->text, cases[i].text);
		xml_free(root);
	}
}

void test_xml__limits(void)
{
	struct buf b = BUF_INIT;
	struct xml_node *root = NULL;

	for (int i = 0; i < XML_MAX_DEPTH + 1; i++)
		buf_addstr(&b, "<a>");
	for (int i = 0; i < XML_MAX_DEPTH + 1; i++)
		buf_addstr(&b, "</a>");
	check_int(xml_parse(&root, b.ptr, b.len), ==, FY_EINVALID);
	buf_reset(&b);
	for (int i = 0; i < XML_MAX_DEPTH; i++)
		buf_addstr(&b, "<a>");
	for (int i = 0; i < XML_MAX_DEPTH; i++)
		buf_addstr(&b, "</a>");
	check_ok(xml_parse(&root, b.ptr, b.len));
	xml_free(root);
	buf_release(&b);
}

void test_xml__nul_refused(void)
{
	struct xml_node *root = NULL;
	static const char in[] = "<a>x\0y</a>";

	check_int(xml_parse(&root, in, sizeof(in) - 1), ==, FY_EINVALID);
	check(strstr(err_msg(), "NUL"));
}

void test_xml__escape(void)
{
	struct buf b = BUF_INIT;

	xml_escape(&b, "a<b>&\"c'");
	check_str(b.ptr, "a&lt;b&gt;&amp;&quot;c&apos;");
	buf_release(&b);
}

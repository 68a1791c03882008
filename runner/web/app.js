/*
 * ferry serve: the web UI.  One page that renders the JSON API
 * (/api/...): repositories, the builds of a repository, a build with its
 * jobs, a job with its live log.  Every string from the API goes through
 * textContent, never innerHTML.
 */
"use strict";

const FINAL = ["passed", "failed", "errored", "canceled"];
let timer = null;

function el(tag, attrs, ...kids) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (k === "class") e.className = v;
		else if (k === "text") e.textContent = v;
		else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
		else e.setAttribute(k, v);
	}
	for (const k of kids)
		if (k !== null && k !== undefined)
			e.append(k instanceof Node ? k : String(k));
	return e;
}

function link(href, text) {
	return el("a", { href: href, text: text });
}

function state(s) {
	return el("span", { class: "state state-" + s, text: s });
}

function short(sha) {
	return el("span", { class: "sha", text: (sha || "").slice(0, 7) });
}

function firstLine(s) {
	return (s || "").split("\n")[0];
}

function since(a, b) {
	if (!a) return "";
	const t0 = Date.parse(a), t1 = b ? Date.parse(b) : Date.now();
	const s = Math.max(0, Math.round((t1 - t0) / 1000));
	return s >= 60 ? Math.floor(s / 60) + " min " + (s % 60) + " sec"
		: s + " sec";
}

async function api(path, opts) {
	const r = await fetch(path, opts);
	if (!r.ok) {
		let msg = r.status + " " + r.statusText;
		try { msg = (await r.json()).error || msg; } catch (e) { /* text */ }
		throw new Error(msg);
	}
	return r.json();
}

function crumbs(...parts) {
	const nav = document.getElementById("crumbs");
	nav.replaceChildren();
	parts.forEach((p, i) => {
		if (i) nav.append(" / ");
		nav.append(p);
	});
}

function show(...kids) {
	document.getElementById("main").replaceChildren(...kids);
}

function repoLink(slug) {
	return link("/repos/" + slug, slug);
}

function what(b) {
	if (b.event === "pull_request")
		return "PR #" + b.pr + " → " + b.branch;
	return (b.tag ? "tag " : "") + (b.branch || "");
}

/* ---- pages ---------------------------------------------------------------- */

async function pageRepos() {
	crumbs();
	const repos = await api("/api/repos");
	const rows = repos.map(r => el("tr", {},
		el("td", {}, repoLink(r.slug)),
		el("td", {}, r.last_build_id ? link("/builds/" + r.last_build_id,
			"#" + r.last_build_number) : ""),
		el("td", {}, r.last_build_state ? state(r.last_build_state) : ""),
		el("td", { text: r.last_build_branch || "" }),
		el("td", { class: "muted", text: r.last_build_finished_at || "" })));
	show(el("h1", { text: "Repositories" }),
		repos.length ? el("table", {}, el("tr", {}, ...["Repository",
			"Last build", "State", "Branch", "Finished"].map(
			t => el("th", { text: t }))), ...rows)
			: el("p", { class: "muted", text: "No builds yet." }));
}

async function pageBuilds(slug) {
	crumbs(repoLink(slug));
	const builds = await api("/api/repos/" + slug + "/builds");
	const rows = builds.map(b => el("tr", {},
		el("td", {}, link("/builds/" + b.id, "#" + b.number)),
		el("td", {}, state(b.state)),
		el("td", { text: what(b) }),
		el("td", {}, short(b.commit_sha)),
		el("td", { text: firstLine(b.message) }),
		el("td", { class: "muted", text: since(b.started_at, b.finished_at) })));
	show(el("h1", {}, slug, " ",
		el("img", { src: "/badge/" + slug + ".svg", alt: "build status" })),
		builds.length ? el("table", {}, el("tr", {}, ...["Build", "State",
			"Branch", "Commit", "Message", "Duration"].map(
			t => el("th", { text: t }))), ...rows)
			: el("p", { class: "muted", text: "No builds yet." }));
	schedule(() => pageBuilds(slug), 5000);
}

async function change(path) {
	const token = localStorage.getItem("ferryToken") || "";
	const out = document.getElementById("action-result");
	try {
		await api(path, { method: "POST",
			headers: { Authorization: "Bearer " + token } });
		out.className = "muted";
		out.textContent = "done";
		route();
	} catch (e) {
		out.className = "error";
		out.textContent = e.message;
	}
}

function actions(kind, id) {
	return el("div", { class: "actions" },
		el("button", { type: "button", id: "cancel",
			onclick: () => change("/api/" + kind + "/" + id + "/cancel") },
			"Cancel"),
		el("button", { type: "button", id: "restart",
			onclick: () => change("/api/" + kind + "/" + id + "/restart") },
			"Restart"),
		el("span", { id: "action-result" }));
}

function facts(pairs) {
	const dl = el("dl", { class: "facts" });
	for (const [k, v] of pairs)
		if (v !== null && v !== undefined && v !== "")
			dl.append(el("dt", { text: k }), el("dd", {}, v));
	return dl;
}

function buildFacts(b) {
	return facts([["State", state(b.state)], ["Event", b.event],
		["Branch", what(b)], ["Commit", short(b.commit_sha)],
		["Author", b.author], ["Duration", since(b.started_at, b.finished_at)],
		["Message", el("pre", { class: "message", text: b.message || "" })]]);
}

async function pageBuild(id) {
	const b = await api("/api/builds/" + id);
	crumbs(repoLink(b.slug), link("/builds/" + b.id, "#" + b.number));
	const body = [el("h1", { text: b.slug + " build #" + b.number }),
		buildFacts(b), actions("builds", b.id)];
	let stage;
	let table = null;
	for (const j of b.jobs) {
		if (!table || j.stage !== stage) {
			stage = j.stage;
			if (stage) body.push(el("h2", { text: "Stage: " + stage }));
			table = el("table", {}, el("tr", {}, ...["Job", "State",
				"Description", "Duration", ""].map(
				t => el("th", { text: t }))));
			body.push(table);
		}
		table.append(el("tr", {},
			el("td", {}, link("/jobs/" + j.id, j.number)),
			el("td", {}, state(j.state)),
			el("td", { text: j.description }),
			el("td", { class: "muted", text: since(j.started_at, j.finished_at) }),
			el("td", { class: "muted",
				text: j.allow_failure ? "allowed to fail" : (j.reason || "") })));
	}
	show(...body);
	if (!FINAL.includes(b.state))
		schedule(() => pageBuild(id), 2000);
}

/* ---- the log ---------------------------------------------------------------- */

const MARKER = /travis_(fold|time):(start|end):([^\r\n]*?)\r\x1b\[0?K/g;
const SGR = /\x1b\[([0-9;]*)([A-Za-z])/g;

/* One line of text with SGR colours into spans. */
function ansiLine(text, st, into) {
	let last = 0, m;
	const emit = s => {
		if (!s) return;
		const cls = [];
		if (st.b) cls.push("b");
		if (st.i) cls.push("i");
		if (st.u) cls.push("u");
		if (st.fg) cls.push("fg" + st.fg);
		if (st.bg) cls.push("bg" + st.bg);
		into.append(cls.length ? el("span", { class: cls.join(" "), text: s }) : s);
	};
	SGR.lastIndex = 0;
	while ((m = SGR.exec(text))) {
		emit(text.slice(last, m.index));
		last = SGR.lastIndex;
		if (m[2] !== "m") continue;
		for (const c of (m[1] || "0").split(";").map(Number)) {
			if (c === 0) { st.b = st.i = st.u = false; st.fg = st.bg = 0; }
			else if (c === 1) st.b = true;
			else if (c === 3) st.i = true;
			else if (c === 4) st.u = true;
			else if (c === 22) st.b = false;
			else if (c === 23) st.i = false;
			else if (c === 24) st.u = false;
			else if ((c >= 30 && c <= 37) || (c >= 90 && c <= 97)) st.fg = c;
			else if (c === 39) st.fg = 0;
			else if (c >= 40 && c <= 47) st.bg = c;
			else if (c === 49) st.bg = 0;
		}
	}
	emit(text.slice(last));
}

/* What a terminal shows of a line with carriage returns. */
function overwrite(text) {
	const parts = text.split("\r");
	for (let i = parts.length - 1; i >= 0; i--)
		if (parts[i].replace(/\x1b\[[0-9;]*[A-Za-z]/g, "") !== "")
			return parts[i];
	return "";
}

const openFolds = new Set();

function renderLog(raw, pre, running) {
	const st = { b: false, i: false, u: false, fg: 0, bg: 0 };
	const root = document.createDocumentFragment();
	const stack = [root];
	const lines = raw.split("\n");
	if (lines.length && lines[lines.length - 1] === "") lines.pop();
	for (const line of lines) {
		const tokens = [];
		let last = 0, m;
		MARKER.lastIndex = 0;
		while ((m = MARKER.exec(line))) {
			tokens.push(["text", line.slice(last, m.index)]);
			tokens.push([m[1] + ":" + m[2], m[3]]);
			last = MARKER.lastIndex;
		}
		tokens.push(["text", line.slice(last)]);
		let text = "";
		for (const [kind, v] of tokens) {
			if (kind === "fold:start") {
				const d = el("details", { "data-fold": v });
				const name = el("span", { class: "fold-name", text: v });
				d.append(el("summary", {}, name));
				if (openFolds.has(v)) d.open = true;
				d.addEventListener("toggle", () => {
					if (d.open) openFolds.add(v); else openFolds.delete(v);
				});
				stack[stack.length - 1].append(d);
				stack.push(d);
			} else if (kind === "fold:end") {
				if (stack.length > 1) stack.pop();
			} else if (kind === "text") {
				text += v;
			}
		}
		const top = stack[stack.length - 1];
		const shown = overwrite(text);
		if (!shown && text !== "" && text.replace(/[\r\x1b]/g, "") === "")
			continue;
		const div = el("div", { class: "line" });
		ansiLine(shown, st, div);
		/* The first line of a fold is its summary, as Travis shows it. */
		if (top.tagName === "DETAILS" && top.children.length === 1 &&
			top.firstChild.children.length === 1)
			top.firstChild.append(div);
		else
			top.append(div);
	}
	/* A fold still open while the job runs is shown open. */
	if (running && stack.length > 1)
		stack[stack.length - 1].open = true;
	pre.replaceChildren(root);
}

async function pageJob(id) {
	const j = await api("/api/jobs/" + id);
	const b = j.build;
	crumbs(repoLink(b.slug), link("/builds/" + b.id, "#" + b.number),
		link("/jobs/" + j.id, j.number));
	const pre = el("div", { id: "log", role: "log" });
	const stateBox = el("span", {}, state(j.state));
	show(el("h1", { text: b.slug + " job #" + j.number }),
		facts([["State", stateBox], ["Job", j.description],
			["Stage", j.stage], ["Build", link("/builds/" + b.id, "#" + b.number)],
			["Branch", what(b)], ["Commit", short(b.commit_sha)],
			["Reason", j.reason]]),
		actions("jobs", j.id), pre);
	let raw = "", offset = 0, jobState = j.state;
	const decoder = new TextDecoder();
	async function poll() {
		const r = await fetch(j.log_url + "?offset=" + offset);
		const bytes = new Uint8Array(await r.arrayBuffer());
		jobState = r.headers.get("X-Job-State") || jobState;
		if (bytes.length) {
			offset += bytes.length;
			raw += decoder.decode(bytes, { stream: true });
			renderLog(raw, pre, !FINAL.includes(jobState));
		}
		stateBox.replaceChildren(state(jobState));
		if (!FINAL.includes(jobState) || bytes.length)
			schedule(poll, 1000);
	}
	await poll();
}

/* ---- routing ---------------------------------------------------------------- */

function schedule(fn, ms) {
	clearTimeout(timer);
	timer = setTimeout(() => fn().catch(fail), ms);
}

function fail(e) {
	show(el("p", { class: "error", text: "Error: " + e.message }));
}

function route() {
	clearTimeout(timer);
	const p = location.pathname.split("/").filter(Boolean);
	let page;
	if (!p.length) page = pageRepos();
	else if (p[0] === "repos" && p.length === 3) page = pageBuilds(p[1] + "/" + p[2]);
	else if (p[0] === "builds" && p.length === 2) page = pageBuild(p[1]);
	else if (p[0] === "jobs" && p.length === 2) page = pageJob(p[1]);
	else page = Promise.reject(new Error("no such page"));
	page.catch(fail);
}

document.getElementById("token").addEventListener("click", () => {
	const t = prompt("Admin token (kept in this browser only):",
		localStorage.getItem("ferryToken") || "");
	if (t !== null) localStorage.setItem("ferryToken", t);
});
route();

/*
 * Open a page of ferry serve in Debian's chromium (headless, driven by
 * playwright-core), read the job log element twice a few seconds apart
 * and save a screenshot.
 *
 *   node browser.js URL SCREENSHOT PROFILE_DIR
 *
 * Prints one JSON line: {"first": N, "second": N, "state": "...",
 * "folds": N, "text": "..."} (lengths of #log's text) and exits 0, or
 * prints the error and exits 1.
 */
"use strict";
const { chromium } = require("playwright-core");

async function main() {
	const [url, shot, profile] = process.argv.slice(2);
	const ctx = await chromium.launchPersistentContext(profile, {
		executablePath: "/usr/bin/chromium",
		headless: true,
		args: ["--headless", "--no-sandbox", "--disable-gpu",
			"--disable-background-networking",
			"--disable-component-update", "--disable-sync",
			"--no-first-run"],
		viewport: { width: 1100, height: 800 },
	});
	try {
		const page = await ctx.newPage();
		await page.goto(url, { waitUntil: "load" });
		const log = page.locator("#log");
		await log.waitFor({ timeout: 15000 });
		await page.waitForFunction(() => {
			const e = document.getElementById("log");
			return e && e.textContent.length > 0;
		}, null, { timeout: 20000 });
		const first = (await log.textContent()).length;
		await page.waitForTimeout(3000);
		const second = (await log.textContent()).length;
		const state = await page.locator(".facts .state").first().textContent();
		const folds = await page.locator("#log details").count();
		await page.screenshot({ path: shot, fullPage: true });
		const text = await log.textContent();
		console.log(JSON.stringify({ first, second, state, folds,
			text: text.slice(0, 2000) }));
	} finally {
		await ctx.close();
	}
}

main().catch(e => {
	console.log("browser.js: " + (e && e.stack || e));
	process.exit(1);
});

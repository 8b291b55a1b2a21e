import chromium from "@sparticuz/chromium";
import puppeteer, { type Browser, type Page } from "puppeteer-core";

/**
 * A headless Chromium from the `@sparticuz/chromium` package (it ships the binary, so nothing is downloaded).
 *
 * @example
 * ```ts
 * const browser = await launchChromium();
 * const { page, problems } = await guardedPage(browser);
 * ```
 */
export async function launchChromium(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: await chromium.executablePath(),
    args: chromium.args,
    headless: true,
    defaultViewport: { width: 1600, height: 1000 },
  });
}

/** What went wrong in a page: script errors, console errors, and requests that tried to leave the machine. */
export interface PageProblems {
  readonly pageErrors: string[];
  readonly consoleErrors: string[];
  readonly offHost: string[];
}

/**
 * A new page that may only talk to 127.0.0.1: any other request is aborted and recorded, as are uncaught script
 * errors and console errors, so a test can assert the page stayed offline and quiet. Requests `fail` picks
 * fail as if the server were down (to test how the page copes).
 *
 * @example
 * ```ts
 * const { page, problems } = await guardedPage(browser);
 * await page.goto(`${origin}/_dev/`);
 * expect(problems).toEqual({ pageErrors: [], consoleErrors: [], offHost: [] });
 * ```
 */
export async function guardedPage(
  browser: Browser,
  { fail }: { fail?: (url: string) => boolean } = {},
): Promise<{ page: Page; problems: PageProblems }> {
  const page = await browser.newPage();
  const problems: PageProblems = { pageErrors: [], consoleErrors: [], offHost: [] };
  page.on("pageerror", (error) => problems.pageErrors.push(String(error)));
  page.on("console", (message) => {
    if (message.type() === "error") problems.consoleErrors.push(message.text());
  });
  await page.setRequestInterception(true);
  page.on("request", (request) => {
    if (fail?.(request.url())) return void request.abort("failed");
    const url = new URL(request.url());
    if (url.protocol === "http:" && url.hostname === "127.0.0.1") return void request.continue();
    problems.offHost.push(request.url());
    void request.abort("blockedbyclient");
  });
  return { page, problems };
}

// The Pulumi plugins a suite needs, and a loud skip where one is not installed: a suite that
// cannot run says so in one line and in the run's closing count, never passes silently.
import * as fs from "fs";
import * as path from "path";
import { execFileSync } from "child_process";

export interface Plugin {
    readonly kind: "resource" | "language";
    readonly name: string;
    /** Omitted where any version will do. */
    readonly version?: string;
}

/** The provider plugin an SDK package asks the engine for, at the version it was published with. */
export function providerOf(sdk: "@pulumi/docker" | "@pulumi/kubernetes"): Plugin {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { name, version } = require(`${sdk}/package.json`).pulumi;
    return { kind: "resource", name, version };
}

export const dockerProvider = providerOf("@pulumi/docker");
export const kubernetesProvider = providerOf("@pulumi/kubernetes");
/** The Node.js language host at the version of the SDK the programs run with. */
export const nodejsLanguage: Plugin = {
    kind: "language",
    name: "nodejs",
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    version: require("@pulumi/pulumi/package.json").version,
};
export const yamlLanguage: Plugin = { kind: "language", name: "yaml" };
/** What the project's program runs on with the docker target. */
export const dockerTargetPlugins: readonly Plugin[] = [nodejsLanguage, dockerProvider];
/**
 * What it runs on with the kubernetes target, whose image the docker provider builds too: so
 * also what a suite of both targets needs.
 */
export const kubernetesTargetPlugins: readonly Plugin[] = [
    ...dockerTargetPlugins,
    kubernetesProvider,
];

const describePlugin = (p: Plugin) =>
    `pulumi-${p.kind}-${p.name}${p.version === undefined ? "" : ` ${p.version}`}`;

let installedCache: Plugin[] | undefined;

/**
 * Plugins in Pulumi's plugin folder, and language hosts on PATH: the CLI's release archives ship
 * those beside it, at its own version.
 */
function installed(): Plugin[] {
    if (installedCache === undefined) {
        const cliVersion = execFileSync("pulumi", ["version"], { encoding: "utf8" })
            .trim()
            .replace(/^v/, "");
        const listed: { kind: Plugin["kind"]; name: string; version: string }[] = JSON.parse(
            execFileSync("pulumi", ["plugin", "ls", "--json"], { encoding: "utf8" }) || "[]",
        );
        const onPath = (process.env.PATH ?? "")
            .split(path.delimiter)
            .flatMap((dir) => {
                try {
                    return fs.readdirSync(dir);
                } catch {
                    return [];
                }
            })
            .flatMap((file): Plugin[] => {
                const match = /^pulumi-language-([a-z]+)$/.exec(file);
                return match ? [{ kind: "language", name: match[1], version: cliVersion }] : [];
            });
        installedCache = [...listed, ...onPath];
    }
    return installedCache;
}

export function missingPlugins(needed: Plugin[]): Plugin[] {
    const have = installed();
    return needed.filter(
        (want) =>
            !have.some(
                (p) =>
                    p.kind === want.kind &&
                    p.name === want.name &&
                    (want.version === undefined || p.version === want.version),
            ),
    );
}

/** Lines of the suites skipped in this run, printed again when the run ends. */
export const skippedSuites: string[] = [];

/**
 * Skips `suite` loudly: prints `SKIPPED <suite>: <reason>`, keeps the line for the run's close,
 * and registers one pending test that says the same.
 */
function skipSuite(suite: Mocha.Suite, reason: string): void {
    const line = `SKIPPED ${path.basename(suite.file ?? suite.title)}: ${reason}`;
    console.log(line);
    skippedSuites.push(line);
    it.skip(line);
}

/**
 * For `e2eSuite` (test/support/e2eSuite.ts), first thing in a suite: returns true when every
 * plugin it needs is installed; otherwise skips it with `<plugins> not installed` and returns
 * false, so that the suite registers nothing else.
 */
export function pluginsInstalled(suite: Mocha.Suite, ...needed: Plugin[]): boolean {
    const missing = missingPlugins(needed);
    if (missing.length === 0) return true;
    skipSuite(suite, `${missing.map(describePlugin).join(", ")} not installed`);
    return false;
}

/**
 * For `e2eSuite`, in a suite that needs a part of the test bed named by an environment variable
 * (e.g. FLASKAPP_E2E_REAL_NODE): returns its value, or skips the suite as loudly as a missing
 * plugin does, with `<variable> not set (<what>)`.
 */
export function testBedPart(
    suite: Mocha.Suite,
    variable: string,
    what: string,
): string | undefined {
    const value = process.env[variable];
    if (value) return value;
    skipSuite(suite, `${variable} not set (${what})`);
    return undefined;
}

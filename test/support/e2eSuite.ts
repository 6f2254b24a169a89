// The frame of an end-to-end suite: what it needs to run, the loud skip where that is missing
// (test/e2e/plugins.ts), and a timeout fit for real systems.
import { Plugin, pluginsInstalled, testBedPart } from "../e2e/plugins";

export interface SuiteNeeds {
    /** The Pulumi plugins the suite runs its programs on. Default none. */
    readonly plugins?: readonly Plugin[];
    /**
     * Parts of the test bed the suite needs, each by the environment variable that names it, with
     * what the skip line says of it where it is unset, e.g.
     * `{ FLASKAPP_E2E_REAL_NODE: "the test bed has no real node" }`. Default none.
     */
    readonly parts?: Readonly<Record<string, string>>;
    /** The timeout of each of the suite's tests and hooks. */
    readonly timeoutMinutes: number;
}

/**
 * `describe(title, ...)` for an end-to-end suite. Where a plugin or a part of the test bed it
 * needs is missing, it skips the suite loudly and registers nothing else; otherwise it sets the
 * timeout and runs `body` with the value of each part, by its variable.
 */
export function e2eSuite(
    title: string,
    needs: SuiteNeeds,
    body: (parts: Record<string, string>) => void,
): void {
    describe(title, function () {
        // Listing the installed plugins runs the CLI: a suite that needs none runs without it.
        const plugins = needs.plugins ?? [];
        if (plugins.length > 0 && !pluginsInstalled(this, ...plugins)) return;
        const parts: Record<string, string> = {};
        for (const [variable, what] of Object.entries(needs.parts ?? {})) {
            const value = testBedPart(this, variable, what);
            if (value === undefined) return;
            parts[variable] = value;
        }
        this.timeout(needs.timeoutMinutes * 60 * 1000);
        body(parts);
    });
}

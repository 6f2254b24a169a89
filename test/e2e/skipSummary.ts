// Root hook of the end-to-end run: closes it with the count of suites skipped for a missing
// plugin or part of the test bed, so that a green run says what it did not prove.
import { skippedSuites } from "./plugins";

export const mochaHooks = {
    afterAll(): void {
        console.log(
            `\nend-to-end suites skipped for a missing plugin or test bed part: ${skippedSuites.length}`,
        );
        for (const line of skippedSuites) console.log(`  ${line}`);
    },
};

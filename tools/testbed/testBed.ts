// The test bed's settings, read from the environment `scripts/testbed/run.sh` loads: what the
// end-to-end suites and the benchmarks run against.

/** The test bed's settings, read from the environment `scripts/testbed/run.sh` loads. */
export interface TestBed {
    registry: string;
    username: string;
    password: string;
    baseImage?: string;
    pipIndexUrl?: string;
    pipTrustedHost?: string;
    /** Path of the test bed cluster's kubeconfig. */
    kubeconfig: string;
}

export function testBed(): TestBed {
    const need = (key: string) => {
        const value = process.env[key];
        if (!value) {
            throw new Error(
                `${key} is not set: run the suite through scripts/e2e.sh, or export the ` +
                    "FLASKAPP_E2E_* variables that README.md describes",
            );
        }
        return value;
    };
    return {
        registry: need("FLASKAPP_E2E_REGISTRY"),
        username: need("FLASKAPP_E2E_REGISTRY_USERNAME"),
        password: need("FLASKAPP_E2E_REGISTRY_PASSWORD"),
        baseImage: process.env.FLASKAPP_E2E_BASE_IMAGE || undefined,
        pipIndexUrl: process.env.FLASKAPP_E2E_PIP_INDEX_URL || undefined,
        pipTrustedHost: process.env.FLASKAPP_E2E_PIP_TRUSTED_HOST || undefined,
        kubeconfig: need("FLASKAPP_E2E_KUBECONFIG"),
    };
}

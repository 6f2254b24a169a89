// Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource), enough of them to
// check settings before they reach a cluster and to turn limits into Docker's units.

const quantityPattern =
    /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

const multipliers: Record<string, number> = {
    "": 1,
    n: 1e-9,
    u: 1e-6,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
};

/** The value of a quantity in base units (cores, bytes), or `undefined` when it is not one. */
export function parseQuantity(quantity: string): number | undefined {
    const match = quantityPattern.exec(quantity);
    if (!match) return undefined;
    const [, number, suffix = ""] = match;
    const multiplier = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : multipliers[suffix];
    return Number(number) * multiplier;
}

/** A CPU amount Kubernetes accepts and Docker can enforce: positive, at most millicore precision. */
export function isCpuQuantity(quantity: string): boolean {
    const cores = parseQuantity(quantity);
    return cores !== undefined && cores >= 0.001;
}

/** A memory amount: a positive whole number of bytes ("m" would mean millibytes, never meant). */
export function isMemoryQuantity(quantity: string): boolean {
    const bytes = parseQuantity(quantity);
    return bytes !== undefined && bytes >= 1 && !/[num]$/.test(quantity);
}

/** Docker's `cpus`: cores as a decimal string, e.g. "500m" gives "0.5". */
export function dockerCpus(quantity: string): string {
    const millicores = Math.round(parseQuantity(quantity)! * 1000);
    return String(millicores / 1000);
}

/** Docker's `memory` is whole MiB; round down so that the limit is never raised. */
export function dockerMemoryMiB(quantity: string): number {
    return Math.floor(parseQuantity(quantity)! / 2 ** 20);
}

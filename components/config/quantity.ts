// Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource), parsed exactly so that a
// limit can be compared with its request ("500m" and "0.5" are equal; "1Gi" is more than "1G"):
//
//   quantity        := signedNumber suffix
//   suffix          := binarySI | decimalExponent | decimalSI
//   binarySI        := Ki | Mi | Gi | Ti | Pi | Ei
//   decimalSI       := n | u | m | "" | k | M | G | T | P | E
//   decimalExponent := ("e" | "E") signedNumber
//   number          := digits | digits "." digits | digits "." | "." digits

const QUANTITY =
    /^([+-]?)(\d+\.?\d*|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei)|[eE]([+-]?\d+)|(n|u|m|k|M|G|T|P|E)?)$/;
const BINARY: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL: Record<string, number> = {
    n: -9,
    u: -6,
    m: -3,
    k: 3,
    M: 6,
    G: 9,
    T: 12,
    P: 15,
    E: 18,
};
/** Exponents beyond this are refused rather than computed (a quantity of 1e999 is a typo). */
const MAX_EXPONENT = 30;

/** A quantity as the exact fraction num / den. */
export interface Quantity {
    num: bigint;
    den: bigint;
}

/** The quantity `text` means, or undefined when it is not one. */
export function parseQuantity(text: string): Quantity | undefined {
    const m = QUANTITY.exec(text);
    if (!m) {
        return undefined;
    }
    const [, sign, number, binary, exponent, decimal] = m;
    const [whole, fraction = ""] = number.split(".");
    const e = exponent !== undefined ? Number(exponent) : (DECIMAL[decimal ?? ""] ?? 0);
    if (Math.abs(e) > MAX_EXPONENT) {
        return undefined;
    }
    const exp10 = e - fraction.length;
    let num = BigInt(`${whole || "0"}${fraction}`) * (sign === "-" ? -1n : 1n);
    let den = 1n;
    if (exp10 >= 0) {
        num *= 10n ** BigInt(exp10);
    } else {
        den = 10n ** BigInt(-exp10);
    }
    if (binary) {
        num *= 1024n ** BigInt(BINARY[binary]);
    }
    return { num, den };
}

/** -1, 0 or 1 as a is less than, equal to or more than b. */
export function compareQuantities(a: Quantity, b: Quantity): number {
    const l = a.num * b.den;
    const r = b.num * a.den;
    return l < r ? -1 : l > r ? 1 : 0;
}

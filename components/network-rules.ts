/**
 * IPv4 CIDR rules, written once: the stack configuration (`vpcCidr`) reports them as config problems and the
 * StandaloneNetwork component throws on them. EC2 rejects a VPC CIDR whose octets exceed 255 and one whose host bits
 * are set ("InvalidParameterValue: Value (10.40.0.1/16) for parameter cidrBlock is invalid"); /16 to /28 is EC2's range
 * for a VPC, and the platform's subnet layout (private /20s and public /24s) needs /16 to /24.
 *
 * Pure module: no Pulumi import.
 */

/** What is wrong with an IPv4 CIDR whose prefix must lie in [minBits, maxBits]; undefined when nothing. */
export function ipv4CidrProblem(cidr: string, minBits: number, maxBits: number): string | undefined {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
    const expected = `an IPv4 CIDR a.b.c.d/n with octets 0-255 and n from ${minBits} to ${maxBits}`;
    if (!m) return `expected ${expected}`;
    const octets = m.slice(1, 5).map(Number);
    const bits = Number(m[5]);
    const over = octets.filter((o) => o > 255);
    if (over.length) return `octet ${over[0]} is above 255; expected ${expected}`;
    if (bits < minBits || bits > maxBits) return `prefix /${bits} is outside /${minBits} to /${maxBits}`;
    const address = octets.reduce((acc, o) => acc * 256 + o, 0);
    const size = 2 ** (32 - bits);
    const network = address - (address % size);
    if (network !== address) {
        const base = [24, 16, 8, 0].map((s) => Math.floor(network / 2 ** s) % 256).join(".");
        return `has host bits set (the network of ${cidr} is ${base}/${bits}); EC2 refuses it: write ${base}/${bits}`;
    }
    return undefined;
}

/**
 * IPv4 CIDR rules, written once: the stack configuration (`vpcCidr`) reports them as config problems and the
 * StandaloneNetwork component throws on them. EC2 rejects a VPC CIDR whose octets exceed 255 and one whose host bits
 * are set ("InvalidParameterValue: Value (10.40.0.1/16) for parameter cidrBlock is invalid"); /16 to /28 is EC2's range
 * for a VPC, and the platform's subnet layout ({@link subnetLayout}: public subnets a sixteenth of the VPC, at least
 * EC2's smallest subnet, /28) needs /16 to /24.
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

const toAddress = (cidr: string) => cidr.split("/")[0].split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
const toCidr = (address: number, bits: number) => `${[24, 16, 8, 0].map((s) => Math.floor(address / 2 ** s) % 256).join(".")}/${bits}`;

/** The subnets of a standalone VPC in two availability zones. */
export interface SubnetLayout {
    /** One per zone, each a quarter of the VPC: Batch instances, Fargate tasks, the database, the load balancer. */
    private: [string, string];
    /** One per zone, each a sixteenth of the VPC: only the NAT gateway or NAT instance lives there. */
    public: [string, string];
}

/**
 * The subnets of a VPC CIDR (valid per {@link ipv4CidrProblem} with /16 to /24): the first two quarters are the
 * private subnets, the first two sixteenths of the third quarter the public ones; the rest stays free for growth.
 * A /16 gives private /18s (16,379 usable addresses each: AWS reserves five per subnet) and public /20s; a /24 gives
 * private /26s and public /28s, EC2's smallest subnet.
 */
export function subnetLayout(vpcCidr: string): SubnetLayout {
    const bits = Number(vpcCidr.split("/")[1]);
    const base = toAddress(vpcCidr);
    const quarter = 2 ** (32 - bits - 2);
    const sixteenth = 2 ** (32 - bits - 4);
    return {
        private: [toCidr(base, bits + 2), toCidr(base + quarter, bits + 2)],
        public: [toCidr(base + 2 * quarter, bits + 4), toCidr(base + 2 * quarter + sixteenth, bits + 4)],
    };
}

/**
 * How the private subnets reach the internet (container registries, package indexes, AWS APIs without an endpoint).
 * - `nat-instance`: one t4g.nano that translates addresses, about $7.4 a month with its public IPv4 address instead of
 *   a NAT gateway's $36; its bandwidth is a burstable instance's (a few Gbit/s in bursts, far less sustained) and it
 *   is one instance in one zone. Enough for dev: S3, and with it every ECR image layer, bypasses it through the
 *   gateway endpoint.
 * - `nat-gateway`: AWS's managed NAT gateway: up to 100 Gbit/s, no instance to look after, $0.045 an hour and a GB.
 */
export const EGRESS_MODES = ["nat-instance", "nat-gateway"] as const;
export type EgressMode = (typeof EGRESS_MODES)[number];

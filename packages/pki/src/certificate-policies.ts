import { fail, pass, type CheckResult } from './check-result.js';
import { children, readDer, readOid, readSmallInteger, TAG } from './der-reader.js';
import { PkiError } from './errors.js';
import { certificatePolicyOids } from './object-identifier.js';
import { OID } from './oids.js';
import { findExtension, type X509Certificate } from './x509-certificate.js';

/**
 * RFC 5280 §6.1 certificate policy processing: the valid_policy_tree with explicit_policy,
 * policy_mapping and inhibit_anyPolicy, driven by certificatePolicies, policyMappings,
 * policyConstraints and inhibitAnyPolicy. Policy qualifiers are not interpreted (RFC 5280 §4.2.1.4
 * lets a relying party ignore them), so nodes do not carry them.
 */

/** The four RFC 5280 §6.1.1 policy inputs. */
export interface PolicyInputs {
  /** user-initial-policy-set (c); default `[anyPolicy]`. */
  readonly initialPolicySet?: readonly string[];
  /** initial-explicit-policy (f): the path must be valid for at least one policy of the set. */
  readonly initialExplicitPolicy?: boolean;
  /** initial-policy-mapping-inhibit (e). */
  readonly initialPolicyMappingInhibit?: boolean;
  /** initial-any-policy-inhibit (g). */
  readonly initialAnyPolicyInhibit?: boolean;
}

/** The most nodes a valid_policy_tree may hold. */
const MAX_POLICY_NODES = 1000;

interface PolicyNode {
  readonly validPolicy: string;
  expectedPolicySet: Set<string>;
  readonly parent: PolicyNode | undefined;
  /** Depth in the tree: 0 for the root, i for nodes made while processing certificate i. */
  readonly depth: number;
}

/** policyMappings (RFC 5280 §4.2.1.5): issuerDomainPolicy → subjectDomainPolicy pairs. */
export function readPolicyMappings(value: Uint8Array): [issuer: string, subject: string][] {
  const mappings = children(readDer(value, 'policyMappings'), TAG.SEQUENCE, 'policyMappings');
  if (mappings.length === 0) throw new PkiError('ERR_DER_MALFORMED', 'policyMappings is empty');
  return mappings.map((mapping) => {
    const [issuer, subject, extra] = children(mapping, TAG.SEQUENCE, 'PolicyMapping');
    if (extra) throw new PkiError('ERR_DER_MALFORMED', 'a PolicyMapping has extra fields');
    return [readOid(issuer, 'issuerDomainPolicy'), readOid(subject, 'subjectDomainPolicy')];
  });
}

/** policyConstraints (RFC 5280 §4.2.1.11); at least one field must be present. */
export function readPolicyConstraints(value: Uint8Array): {
  requireExplicitPolicy: number | undefined;
  inhibitPolicyMapping: number | undefined;
} {
  const fields = children(readDer(value, 'policyConstraints'), TAG.SEQUENCE, 'policyConstraints');
  let requireExplicitPolicy: number | undefined;
  let inhibitPolicyMapping: number | undefined;
  let index = 0;
  // Both fields are [n] IMPLICIT SkipCerts (an INTEGER), in order.
  if (fields[index]?.tag === 0x80)
    requireExplicitPolicy = readSmallInteger({ ...fields[index++]!, tag: TAG.INTEGER }, 'requireExplicitPolicy');
  if (fields[index]?.tag === 0x81)
    inhibitPolicyMapping = readSmallInteger({ ...fields[index++]!, tag: TAG.INTEGER }, 'inhibitPolicyMapping');
  if (fields[index] || index === 0)
    throw new PkiError('ERR_DER_MALFORMED', 'policyConstraints must hold one or both SkipCerts and nothing else');
  return { requireExplicitPolicy, inhibitPolicyMapping };
}

/** inhibitAnyPolicy (RFC 5280 §4.2.1.14): SkipCerts. */
export function readInhibitAnyPolicy(value: Uint8Array): number {
  return readSmallInteger(readDer(value, 'inhibitAnyPolicy'), 'inhibitAnyPolicy');
}

/**
 * The policy state of one path validation. Call {@link processCertificate} for certificates 1..n
 * (trust anchor's subject first), {@link prepareNext} after each but the last, then {@link wrapUp}.
 */
export class PolicyProcessor {
  /** Nodes by depth; undefined is RFC 5280's NULL tree. */
  private levels: PolicyNode[][] | undefined;
  private explicitPolicy: number;
  private policyMapping: number;
  private inhibitAnyPolicy: number;
  private readonly initialPolicySet: ReadonlySet<string>;

  constructor(
    private readonly n: number,
    inputs: PolicyInputs,
  ) {
    this.levels = [
      [{ validPolicy: OID.anyPolicy, expectedPolicySet: new Set([OID.anyPolicy]), parent: undefined, depth: 0 }],
    ];
    this.explicitPolicy = inputs.initialExplicitPolicy ? 0 : n + 1;
    this.policyMapping = inputs.initialPolicyMappingInhibit ? 0 : n + 1;
    this.inhibitAnyPolicy = inputs.initialAnyPolicyInhibit ? 0 : n + 1;
    this.initialPolicySet = new Set(inputs.initialPolicySet?.length ? inputs.initialPolicySet : [OID.anyPolicy]);
  }

  /** RFC 5280 §6.1.3 (d)–(f) for certificate `i` (1-based). */
  processCertificate(certificate: X509Certificate, i: number, selfIssued: boolean, label: string): CheckResult[] {
    const extension = findExtension(certificate, OID.certificatePolicies);
    if (extension && this.levels) {
      let policies: string[];
      try {
        policies = certificatePolicyOids(extension.value);
      } catch (error) {
        this.levels = undefined;
        return [fail(`${label}.policies`, `certificatePolicies cannot be read: ${(error as Error).message}`)];
      }
      if (new Set(policies).size !== policies.length)
        return [fail(`${label}.policies`, 'certificatePolicies names a policy twice')];
      const parents = this.levels[i - 1] ?? [];
      const level: PolicyNode[] = [];
      // Mappings can make each level a multiple of the one above: the tree is bounded, as in OpenSSL
      // since CVE-2023-0464, and a path that needs more is refused.
      const room = MAX_POLICY_NODES - this.levels.reduce((sum, nodes) => sum + nodes.length, 0);
      const add = (made: PolicyNode) => {
        level.push(made);
        return level.length <= room;
      };
      let fits = true;
      for (const policy of policies) {
        if (policy === OID.anyPolicy || !fits) continue;
        // (d)(1)(i): children of every node expecting the policy; (ii): else of the anyPolicy nodes.
        let matches = parents.filter((candidate) => candidate.expectedPolicySet.has(policy));
        if (matches.length === 0) matches = parents.filter((candidate) => candidate.validPolicy === OID.anyPolicy);
        for (const parent of matches) fits &&= add(node(policy, parent, i));
      }
      // (d)(2): anyPolicy in the certificate stands for every expected policy not yet matched.
      if (fits && policies.includes(OID.anyPolicy) && (this.inhibitAnyPolicy > 0 || (i < this.n && selfIssued))) {
        for (const parent of parents) {
          const present = new Set(level.filter((child) => child.parent === parent).map((child) => child.validPolicy));
          for (const expected of parent.expectedPolicySet)
            if (fits && !present.has(expected)) fits = add(node(expected, parent, i));
        }
      }
      if (!fits) {
        this.levels = undefined;
        return [fail(`${label}.policies`, `the policy tree would exceed ${MAX_POLICY_NODES} nodes`)];
      }
      this.levels[i] = level;
      // (d)(3): prune the nodes left without children.
      this.prune(i - 1);
    } else {
      // (e): no certificatePolicies makes the tree NULL.
      this.levels = undefined;
    }
    // (f)
    return [
      this.explicitPolicy > 0 || this.levels
        ? pass(`${label}.policies`)
        : fail(`${label}.policies`, 'an explicit policy is required and no acceptable policy is left'),
    ];
  }

  /** RFC 5280 §6.1.4 (a), (b), (h), (i), (j) for certificate `i`, before certificate i + 1. */
  prepareNext(certificate: X509Certificate, i: number, selfIssued: boolean, label: string): CheckResult[] {
    const checks: CheckResult[] = [];
    const mappingExtension = findExtension(certificate, OID.policyMappings);
    if (mappingExtension) {
      let mappings: [string, string][];
      try {
        mappings = readPolicyMappings(mappingExtension.value);
      } catch (error) {
        return [fail(`${label}.policy-mappings`, `policyMappings cannot be read: ${(error as Error).message}`)];
      }
      // (a): anyPolicy is never mapped to or from.
      if (mappings.some(([from, to]) => from === OID.anyPolicy || to === OID.anyPolicy))
        return [fail(`${label}.policy-mappings`, 'policyMappings maps anyPolicy')];
      checks.push(pass(`${label}.policy-mappings`));
      this.applyMappings(mappings, i);
    }
    // (h): counters count down on every certificate that is not self-issued.
    if (!selfIssued) {
      if (this.explicitPolicy > 0) this.explicitPolicy--;
      if (this.policyMapping > 0) this.policyMapping--;
      if (this.inhibitAnyPolicy > 0) this.inhibitAnyPolicy--;
    }
    try {
      // (i)
      const constraints = findExtension(certificate, OID.policyConstraints);
      if (constraints) {
        const { requireExplicitPolicy, inhibitPolicyMapping } = readPolicyConstraints(constraints.value);
        if (requireExplicitPolicy !== undefined)
          this.explicitPolicy = Math.min(this.explicitPolicy, requireExplicitPolicy);
        if (inhibitPolicyMapping !== undefined) this.policyMapping = Math.min(this.policyMapping, inhibitPolicyMapping);
      }
      // (j)
      const inhibit = findExtension(certificate, OID.inhibitAnyPolicy);
      if (inhibit) this.inhibitAnyPolicy = Math.min(this.inhibitAnyPolicy, readInhibitAnyPolicy(inhibit.value));
    } catch (error) {
      checks.push(fail(`${label}.policy-constraints`, (error as Error).message));
    }
    return checks;
  }

  /**
   * RFC 5280 §6.1.5 (a), (b), (g) on the end-entity certificate: the policy check of the whole path
   * and the user-constrained policy set (empty when the tree is NULL).
   */
  wrapUp(certificate: X509Certificate): { check: CheckResult; userConstrainedPolicySet: string[] } {
    if (this.explicitPolicy > 0) this.explicitPolicy--;
    try {
      const constraints = findExtension(certificate, OID.policyConstraints);
      if (constraints && readPolicyConstraints(constraints.value).requireExplicitPolicy === 0) this.explicitPolicy = 0;
    } catch (error) {
      return { check: fail('path.policies', (error as Error).message), userConstrainedPolicySet: [] };
    }
    if (this.levels && !this.initialPolicySet.has(OID.anyPolicy)) this.intersectWithInitialSet();
    // The set is named in the trust anchor's policy domain: each leaf counts as the policy it was
    // mapped from, the node just below the anyPolicy nodes on its branch.
    const userConstrainedPolicySet = [
      ...new Set(
        (this.levels?.[this.n] ?? []).map((leaf) => {
          let top = leaf;
          while (top.parent && top.parent.validPolicy !== OID.anyPolicy) top = top.parent;
          return top.validPolicy;
        }),
      ),
    ];
    return {
      check:
        this.explicitPolicy > 0 || this.levels
          ? pass('path.policies')
          : fail('path.policies', 'no policy acceptable to the user holds along the whole path'),
      userConstrainedPolicySet,
    };
  }

  /** §6.1.4 (b): map (or, with policy_mapping 0, delete) the policies of depth `i`. */
  private applyMappings(mappings: readonly [string, string][], i: number): void {
    const bySource = new Map<string, Set<string>>();
    for (const [from, to] of mappings) bySource.set(from, (bySource.get(from) ?? new Set()).add(to));
    const level = this.levels?.[i];
    if (!this.levels || !level) return;
    for (const [source, targets] of bySource) {
      if (this.policyMapping > 0) {
        const mapped = level.filter((candidate) => candidate.validPolicy === source);
        for (const candidate of mapped) candidate.expectedPolicySet = new Set(targets);
        const any = level.find((candidate) => candidate.validPolicy === OID.anyPolicy);
        if (mapped.length === 0 && any) {
          const made = node(source, any.parent, i);
          made.expectedPolicySet = new Set(targets);
          level.push(made);
        }
      } else {
        this.levels[i] = this.levels[i]!.filter((candidate) => candidate.validPolicy !== source);
        this.prune(i - 1);
        if (!this.levels) return;
      }
    }
  }

  /** §6.1.5 (g)(iii): keep only what the user's initial policy set accepts. */
  private intersectWithInitialSet(): void {
    const levels = this.levels!;
    const n = this.n;
    // (1): the nodes whose parent is an anyPolicy node are where authority and user sets meet.
    const boundary = levels.flat().filter((candidate) => candidate.parent?.validPolicy === OID.anyPolicy);
    // (2): delete those the user does not accept (their subtrees fall with them below).
    const deleted = new Set(
      boundary.filter(
        (candidate) => candidate.validPolicy !== OID.anyPolicy && !this.initialPolicySet.has(candidate.validPolicy),
      ),
    );
    for (let depth = 1; depth < levels.length; depth++) {
      levels[depth] = levels[depth]!.filter((candidate) => {
        if (deleted.has(candidate)) return false;
        if (candidate.parent && deleted.has(candidate.parent)) {
          deleted.add(candidate);
          return false;
        }
        return true;
      });
    }
    // (3): an anyPolicy leaf stands for each user policy not otherwise present.
    const anyLeaf = levels[n]?.find((candidate) => candidate.validPolicy === OID.anyPolicy);
    if (anyLeaf) {
      const present = new Set(
        boundary.filter((candidate) => !deleted.has(candidate)).map((candidate) => candidate.validPolicy),
      );
      for (const policy of this.initialPolicySet)
        if (!present.has(policy)) levels[n]!.push(node(policy, anyLeaf.parent, n));
      levels[n] = levels[n]!.filter((candidate) => candidate !== anyLeaf);
    }
    // (4)
    this.prune(n - 1);
  }

  /** Deletes, from `depth` up to the root, every node without children; the tree may become NULL. */
  private prune(depth: number): void {
    const levels = this.levels!;
    for (let d = depth; d >= 0; d--) {
      const withChildren = new Set((levels[d + 1] ?? []).map((child) => child.parent));
      levels[d] = levels[d]!.filter((candidate) => withChildren.has(candidate));
    }
    // Children of a deleted node are gone too.
    for (let d = 1; d < levels.length; d++) {
      const alive = new Set(levels[d - 1]);
      levels[d] = levels[d]!.filter((candidate) => candidate.parent !== undefined && alive.has(candidate.parent));
    }
    if (levels[0]!.length === 0) this.levels = undefined;
  }
}

function node(validPolicy: string, parent: PolicyNode | undefined, depth: number): PolicyNode {
  return { validPolicy, expectedPolicySet: new Set([validPolicy]), parent, depth };
}

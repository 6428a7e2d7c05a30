/**
 * The grammar of every input value that reaches a command line, a file path or a URL.
 *
 * An input is written by whoever can start a run (the CLI, a Temporal client, the Web UI
 * start form), so no value may become an option (`--post-renderer=...` as a chart
 * reference, `--file=...` as a database), a second setting (`0.2.0,image.repository=x`
 * as an image tag), a path outside its directory (`../../x`) or a request to another host
 * (`//other-host/...` as an API path). Each rule below says what a valid value looks like
 * and each message says how to fix the field; the workflows and the CLI validate with the
 * same schemas, so a refused input starts nothing.
 */
import { z } from 'zod';
import { schemasOf } from './shared-schemas.js';

const schema = schemasOf('domain/grammar');

/** Nothing from input starts with a dash: it would read as an option to the tool. */
const NO_LEADING_DASH = /^[^-]/;
/** Control characters (newlines included) have no place in a name, a path or a tag. */
const CONTROL = /[\u0000-\u001f\u007f]/;

const printable = (what: string, max: number) =>
  z
    .string({ error: `required: ${what}` })
    .min(1, `must not be empty: ${what}`)
    .max(max, `at most ${max} characters: ${what}`)
    .refine((v) => !CONTROL.test(v), { message: `must not contain control characters or newlines: ${what}` })
    .refine((v) => NO_LEADING_DASH.test(v), { message: `must not start with "-" (it would read as an option): ${what}` });

/** A DNS-1123 label: lowercase letters, digits and dashes, starting and ending with a letter or digit. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A DNS-1123 subdomain: labels joined by dots. */
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A Kubernetes namespace: a DNS-1123 label of at most 63 characters. */
export const NamespaceSchema = schema('NamespaceSchema', () =>
  z
    .string({ error: 'required: a namespace (lowercase letters, digits and dashes)' })
    .max(63, 'a namespace has at most 63 characters (a DNS-1123 label)')
    .regex(DNS_LABEL, 'a namespace is a DNS-1123 label: lowercase letters, digits and dashes, starting and ending with a letter or digit'),
);

/** A helm release name: DNS-1123, at most 53 characters (helm's own limit). */
export const ReleaseNameSchema = schema('ReleaseNameSchema', () =>
  z
    .string({ error: 'required: a release name (lowercase letters, digits and dashes)' })
    .max(53, 'a release name has at most 53 characters (helm refuses longer ones)')
    .regex(DNS_SUBDOMAIN, 'a release name is DNS-1123: lowercase letters, digits, dashes and dots, starting and ending with a letter or digit'),
);

/** The name of a Deployment, Job, Service or container: a DNS-1123 label of at most 63 characters. */
export const ObjectNameSchema = schema('ObjectNameSchema', () =>
  z
    .string({ error: 'required: a Kubernetes name (lowercase letters, digits and dashes)' })
    .max(63, 'a Kubernetes name has at most 63 characters here')
    .regex(DNS_LABEL, 'must be a Kubernetes name: lowercase letters, digits and dashes, starting and ending with a letter or digit'),
);

/** A Secret or CRD name: a DNS-1123 subdomain of at most 253 characters. */
export const SubdomainNameSchema = schema('SubdomainNameSchema', () =>
  z
    .string({ error: 'required: a Kubernetes name (lowercase letters, digits, dashes and dots)' })
    .max(253, 'a Kubernetes name has at most 253 characters')
    .regex(DNS_SUBDOMAIN, 'must be a Kubernetes name: lowercase letters, digits, dashes and dots'),
);

/**
 * A tenant slug: the namespace and the release are `tenant-<slug>`, so the slug is what
 * leaves both valid: at most 46 characters (53 for the release minus "tenant-").
 */
export const TENANT_SLUG = /^[a-z0-9]([a-z0-9-]{0,44}[a-z0-9])?$/;
export const TenantSlugSchema = schema('TenantSlugSchema', () =>
  z
    .string({ error: 'required: a tenant slug (lowercase letters, digits and dashes)' })
    .regex(TENANT_SLUG, 'a tenant slug is lowercase letters, digits and dashes, at most 46 characters (the release and namespace are tenant-<slug>)'),
);

/** A PostgreSQL database or role name: a plain identifier, so it can never be a connection string or an option. */
export const PgIdentifierSchema = (what: string) =>
  z
    .string({ error: `required: the ${what}` })
    .regex(/^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/, `the ${what} is a PostgreSQL identifier: a letter or "_", then letters, digits, "_", "$" or "-", at most 63 characters`);

/** An OCI image tag (the distribution spec's grammar): no comma, equals sign, slash or newline. */
export const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
export const ImageTagSchema = schema('ImageTagSchema', () =>
  z
    .string({ error: 'required: an image tag such as 0.2.0' })
    .regex(IMAGE_TAG, 'an image tag is letters, digits, "_", "." and "-" (not starting with "." or "-"), at most 128 characters, such as 0.2.0'),
);

/** Keys no object path may name: they reach Object.prototype, not the values. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * A record whose keys are checked by `key` with its own messages, and are never
 * __proto__, constructor or prototype. zod's own record drops a `__proto__` key without a
 * word (so `imageTags: {"__proto__": ...}` would be accepted as empty) and reports a bad
 * key only as "Invalid key in record"; this names the key and says what is wrong with it.
 */
export function plainRecord<V extends z.ZodType>(key: z.ZodType<string>, value: V) {
  return z.preprocess((input, ctx) => {
    if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
      for (const k of Object.keys(input)) {
        if (FORBIDDEN_KEYS.has(k)) {
          ctx.addIssue({ code: 'custom', path: [k], input, message: `"${k}" is not a key: it would reach Object.prototype; remove it` });
          continue;
        }
        const checked = key.safeParse(k);
        if (!checked.success) for (const issue of checked.error.issues) ctx.addIssue({ code: 'custom', path: [k], input, message: `bad key: ${issue.message}` });
      }
    }
    return input;
  }, z.record(z.string(), value));
}

/** A values key path such as `adapter.image.tag`: plain segments, none of them a prototype key. */
export const ValuesKeyPathSchema = schema('ValuesKeyPathSchema', () =>
  z
    .string({ error: 'required: a values key path such as image.tag' })
    .max(256, 'a values key path has at most 256 characters')
    .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'a values key path is dot-separated segments of letters, digits, "_" and "-", such as image.tag')
    .refine((path) => !path.split('.').some((segment) => FORBIDDEN_KEYS.has(segment)), {
      message: 'a values key path may not name __proto__, constructor or prototype',
    }),
);

/** A chart version: a semantic version or a range (`2.x`, `^2.0.0`), never an option. */
export const ChartVersionSchema = schema('ChartVersionSchema', () =>
  z
    .string({ error: 'required: the chart version, such as 2.0.0' })
    .max(64, 'a chart version has at most 64 characters')
    .regex(/^[0-9A-Za-z^~<>=*.+ |-]+$/, 'a chart version is a semantic version or range such as 2.0.0 or 2.x')
    .refine((v) => NO_LEADING_DASH.test(v), { message: 'a chart version must not start with "-"' }),
);

const LOCAL_CHART = /^(\/|\.\/|\.\.\/)[^\s]*$|^[^\s/][^\s]*\.tgz$/;
const REPO_CHART = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * A chart reference: `repo/name`, `oci://registry/path/name`, an `https://` archive URL,
 * or a local path (`/charts/x`, `./x`, `../x`, `x.tgz`). Never a leading dash: it is a
 * positional of `helm template` and `helm upgrade`.
 */
export const ChartRefSchema = schema('ChartRefSchema', () =>
  printable('a chart reference: repo/name, oci://registry/charts/name, or a local chart path', 1024).superRefine((ref, ctx) => {
    if (ref.startsWith('oci://') || ref.startsWith('https://') || ref.startsWith('http://')) {
      let url: URL;
      try {
        url = new URL(ref);
      } catch {
        ctx.addIssue({ code: 'custom', message: `"${ref}" is not a valid URL: use oci://registry/charts/name` });
        return;
      }
      if (!url.hostname || url.pathname.length <= 1 || /\s/.test(ref)) {
        ctx.addIssue({ code: 'custom', message: 'a chart URL names a registry and a chart: oci://registry/charts/name' });
      }
      return;
    }
    if (!REPO_CHART.test(ref) && !LOCAL_CHART.test(ref)) {
      ctx.addIssue({ code: 'custom', message: 'a chart reference is repo/name, oci://registry/charts/name, or a local path starting with /, ./ or ../ (or ending in .tgz)' });
    }
  }),
);

/** A label selector (`tenant=true,managed-by=soctalk`): a flag value, never an option. */
export const LabelSelectorSchema = schema('LabelSelectorSchema', () =>
  printable('a label selector such as app.kubernetes.io/component=postgres', 1024).regex(
    /^[A-Za-z0-9._/=!,() -]+$/,
    'a label selector is key=value pairs joined by commas, such as app.kubernetes.io/component=postgres',
  ),
);

/** A file on the worker (a kubeconfig, a values file): an option value, never an option itself. */
export const WorkerPathSchema = (what: string) => printable(what, 4096);

/** A name inside a base directory (a backup): no separators, no `..`, so it never leaves that directory. */
export const BaseNameSchema = (what: string) =>
  printable(what, 255)
    .regex(/^[A-Za-z0-9_][A-Za-z0-9._-]*$/, `${what} is a file name without directories: letters, digits, ".", "_" and "-"`)
    .refine((v) => v !== '.' && v !== '..' && !v.includes('..'), { message: `${what} must not contain "..": it would leave its directory` });

/** A template path inside a chart (`templates/jobs/alembic-upgrade.yaml`): relative, never leaving the chart. */
export const ChartTemplatePathSchema = schema('ChartTemplatePathSchema', () =>
  printable('a template path inside the chart such as templates/jobs/x.yaml', 512)
    .regex(/^[A-Za-z0-9_][A-Za-z0-9._/-]*$/, 'a template path is relative to the chart, such as templates/jobs/alembic-upgrade.yaml')
    .refine((p) => !p.split('/').includes('..'), { message: 'a template path must not contain "..": it would leave the chart' }),
);

/** A key of a Secret's data (`url`, `tls.crt`): letters, digits, "-", "_" and ".". */
export const SecretKeySchema = schema('SecretKeySchema', () =>
  z
    .string({ error: 'required: a Secret data key such as url' })
    .max(253, 'a Secret data key has at most 253 characters')
    .regex(/^[-._A-Za-z0-9]+$/, 'a Secret data key is letters, digits, "-", "_" and "."'),
);

/** A TCP port. */
export const PortSchema = schema('PortSchema', () =>
  z.number({ error: 'a port number from 1 to 65535' }).int('a port is a whole number').min(1, 'a port is at least 1').max(65535, 'a port is at most 65535'),
);

/** A replica count: bounded so that a typo cannot ask for a million pods. */
export const MAX_REPLICAS = 100;
export const ReplicaCountSchema = schema('ReplicaCountSchema', () =>
  z.number().int('a replica count is a whole number').min(0, 'a replica count is at least 0').max(MAX_REPLICAS, `a replica count is at most ${MAX_REPLICAS}`),
);

/** A helm revision number. */
export const RevisionSchema = schema('RevisionSchema', () =>
  z.number().int('a revision is a whole number').min(1, 'a revision is at least 1').max(1_000_000, 'a revision is at most 1000000'),
);

/** An http(s) URL: `javascript:`, `file:` and friends are refused. */
export const HttpUrlSchema = schema('HttpUrlSchema', () =>
  z
    .string({ error: 'required: an http(s) URL' })
    .max(2048, 'a URL has at most 2048 characters')
    .superRefine((text, ctx) => {
      let url: URL;
      try {
        url = new URL(text);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be an absolute http:// or https:// URL' });
        return;
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        ctx.addIssue({ code: 'custom', message: `must be an http:// or https:// URL, not ${url.protocol}` });
      } else if (!url.hostname) {
        ctx.addIssue({ code: 'custom', message: 'must name a host: http(s)://host[:port]/path' });
      }
    }),
);

/**
 * A path on a configured host (`/health`, `/api/x`): one leading slash, no `//` or `\`
 * (both make a URL join switch host), no scheme, query or fragment.
 */
export const UrlPathSchema = schema('UrlPathSchema', () =>
  z
    .string({ error: 'required: a path such as /health' })
    .max(1024, 'a path has at most 1024 characters')
    .regex(/^\/(?![/\\])[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/, 'a path starts with a single "/" and has no "//", "\\", "?" or "#", such as /health'),
);

/** Joins a path to a base URL and refuses any result on another origin (scheme, host or port). */
export function sameOriginUrl(base: string, path: string): URL {
  const origin = new URL(base).origin;
  const url = new URL(path, base);
  if (url.origin !== origin) throw new Error(`${path} would leave ${origin} (it resolves to ${url.origin})`);
  return url;
}

/** An environment variable name; which ones an input may name is the worker's allow-list (see secret-env.ts). */
export const EnvNameSchema = schema('EnvNameSchema', () =>
  z
    .string({ error: 'required: an environment variable name such as SOCTALK_TOKEN' })
    .max(128, 'an environment variable name has at most 128 characters')
    .regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name is upper-case letters, digits and "_", such as SOCTALK_TOKEN'),
);

/** A regular expression from input, compiled here so a broken one is refused before anything runs. */
export const RegexSourceSchema = (what: string) =>
  z
    .string({ error: `required: ${what}` })
    .min(1, `${what} must not be empty`)
    .max(256, `${what} has at most 256 characters`)
    .superRefine((source, ctx) => {
      try {
        new RegExp(source);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `${what} is not a valid regular expression (${(err as Error).message.replace(/^Invalid regular expression: /, '')}): escape special characters such as ( [ * with a backslash` });
      }
    });

/** A kubeconfig context name: an option value, never an option, no control characters. */
export const KubeContextSchema = schema('KubeContextSchema', () => printable('a kubeconfig context name', 253));

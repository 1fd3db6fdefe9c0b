import { Construct } from 'constructs';
import { Fn, ITerraformDependable, Token } from 'cdktf';
import { RedisInstance } from '@cdktf/provider-google/lib/redis-instance';
import { type MemorySettingsInput, fromSecret } from '@orchestra/runtime/contract';
import { IGrantable } from '../iam';
import { PropsValidator } from '../props-validator';
import { isResourceName } from '../naming';
import { type ISecret, Secret } from '../security/secret';

export type RedisTier = 'BASIC' | 'STANDARD_HA';

export interface RedisCacheProps {
  /** Instance name: lowercase letters, digits, hyphens; at most 40 characters. */
  readonly name: string;
  readonly region: string;
  /** Id of the VPC (`projects/…/global/networks/…`) the instance is reachable from. */
  readonly networkId: string;
  /**
   * The private services access connection of that VPC; the instance is created after it.
   * @default - none: the network must already be peered
   */
  readonly privateServicesConnection?: ITerraformDependable;
  /**
   * BASIC is one node with no replica; STANDARD_HA adds a replica in another zone with
   * automatic failover.
   * @default "STANDARD_HA"
   */
  readonly tier?: RedisTier;
  /** @default 1 */
  readonly memorySizeGb?: number;
  /** @default "REDIS_7_2" */
  readonly redisVersion?: string;
  /**
   * Require Redis AUTH. The AUTH string is written to a Secret Manager secret (`authSecret`),
   * never to the configuration.
   * @default true
   */
  readonly authEnabled?: boolean;
  /**
   * Require TLS between clients and the server (Memorystore serves it on port 6378 with its own
   * CA, exposed as `caCertificate`).
   * @default true
   */
  readonly transitEncryption?: boolean;
  /**
   * Id of the secret that receives the AUTH string.
   * @default "<name>-auth"
   */
  readonly authSecretId?: string;
  /**
   * Replica locations of the AUTH secret.
   * @default - automatic replication
   */
  readonly authSecretReplicaLocations?: readonly string[];
  /**
   * Refuse `terraform destroy` of the instance (Memorystore has no server-side flag; this sets
   * Terraform's `prevent_destroy`).
   * @default false
   */
  readonly deletionProtection?: boolean;
  /** @default - none */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * Memorystore for Redis, reachable only on the VPC through private services access, with AUTH
 * and in-transit encryption on by default.
 */
export class RedisCache extends Construct {
  /** Private IP address of the primary endpoint. */
  public readonly host: string;
  /** 6379 without TLS, 6378 with it. */
  public readonly port: number;
  public readonly tlsEnabled: boolean;
  /** PEM of the CA that signs the server's TLS certificate, when TLS is on. */
  public readonly caCertificate?: string;
  /** The secret holding the AUTH string, when AUTH is on. */
  public readonly authSecret?: Secret;
  /** `projects/…/locations/…/instances/…`. */
  public readonly id: string;

  constructor(scope: Construct, id: string, props: RedisCacheProps) {
    super(scope, id);
    const tier = props.tier ?? 'STANDARD_HA';
    const memorySizeGb = props.memorySizeGb ?? 1;
    const authEnabled = props.authEnabled ?? true;
    const tlsEnabled = props.transitEncryption ?? true;

    new PropsValidator(this.node.path)
      .check('name', props.name, isResourceName(props.name, 40), `"${props.name}" must be a lowercase resource name of at most 40 characters`)
      .check('tier', tier, tier === 'BASIC' || tier === 'STANDARD_HA', `"${tier}" must be BASIC or STANDARD_HA`)
      .check('memorySizeGb', memorySizeGb, Number.isInteger(memorySizeGb) && memorySizeGb >= 1 && memorySizeGb <= 300, `${memorySizeGb} must be a whole number from 1 to 300`)
      .throwIfInvalid();

    const instance = new RedisInstance(this, 'instance', {
      name: props.name,
      region: props.region,
      tier,
      memorySizeGb,
      redisVersion: props.redisVersion ?? 'REDIS_7_2',
      authorizedNetwork: props.networkId,
      connectMode: 'PRIVATE_SERVICE_ACCESS',
      authEnabled,
      transitEncryptionMode: tlsEnabled ? 'SERVER_AUTHENTICATION' : 'DISABLED',
      // Short-term memory is a cache of recent turns: durable copies live in the mid-term store.
      persistenceConfig: { persistenceMode: 'DISABLED' },
      maintenancePolicy: {
        weeklyMaintenanceWindow: [{ day: 'SUNDAY', startTime: { hours: 3, minutes: 0, seconds: 0, nanos: 0 } }],
      },
      labels: props.labels ? { ...props.labels } : undefined,
      dependsOn: props.privateServicesConnection ? [props.privateServicesConnection] : undefined,
      lifecycle: props.deletionProtection ? { preventDestroy: true } : undefined,
    });

    if (authEnabled) {
      this.authSecret = new Secret(this, 'auth', {
        secretId: props.authSecretId ?? `${props.name}-auth`,
        valueFrom: instance.authString,
        replicaLocations: props.authSecretReplicaLocations,
        deletionProtection: props.deletionProtection,
        labels: props.labels,
      });
    }
    this.host = instance.host;
    this.port = instance.port;
    this.tlsEnabled = tlsEnabled;
    // Every CA Memorystore publishes, as one PEM bundle: during a rotation it lists the new CA
    // beside the current one well before switching ("Certificate authority rotation",
    // https://cloud.google.com/memorystore/docs/redis/about-in-transit-encryption#certificate_authority_rotation),
    // and a client that trusts only the first breaks on the switch.
    this.caCertificate = tlsEnabled ? Fn.join('\n', Token.asList(instance.interpolationForAttribute('server_ca_certs[*].cert'))) : undefined;
    this.id = instance.id;
  }

  /** How the Orchestra runtime reaches this instance: its address, TLS with this CA, and the AUTH string by secret reference. */
  get runtimeSettings(): Pick<MemorySettingsInput<ISecret>, 'redis'> {
    return {
      redis: {
        host: this.host,
        port: this.port,
        tls: this.tlsEnabled,
        ...(this.caCertificate === undefined ? {} : { caCert: this.caCertificate }),
        ...(this.authSecret === undefined ? {} : { password: fromSecret<ISecret>(this.authSecret) }),
      },
    };
  }

  /**
   * Lets `grantee` connect: reading the AUTH secret is the whole of Redis data-plane access
   * (Memorystore for Redis has no IAM for data). Network reach comes from the VPC.
   */
  grantConnect(grantee: IGrantable): void {
    this.authSecret?.grantRead(grantee);
  }
}

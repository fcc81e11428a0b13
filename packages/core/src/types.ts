export type ProxyCommand = 'PROXY' | 'LOCAL';
export type ProxyFamily = 'IPv4' | 'IPv6' | 'UNIX' | 'UNSPEC';
export type ProxyTransport = 'STREAM' | 'DGRAM' | 'UNSPEC';

/** One end of the proxied connection. UNIX addresses carry a path and no port. */
export interface ProxyAddress {
  address: string;
  port?: number;
}

/** A v2 TLV exactly as it was on the wire. */
export interface ProxyTlv {
  type: number;
  value: Uint8Array;
}

/** The PP2_TYPE_SSL TLV. */
export interface ProxySslInfo {
  /** PP2_CLIENT_* bit field: 0x01 SSL, 0x02 certificate on this connection, 0x04 in this session. */
  client: number;
  /** 0 when the client presented a certificate and it was verified. */
  verify: number;
  version?: string;
  cn?: string;
  cipher?: string;
  sigAlg?: string;
  keyAlg?: string;
  /** The SSL sub-TLVs in wire order, including ones this library does not decode. */
  tlvs: ProxyTlv[];
}

export interface ProxyHeader {
  version: 1 | 2;
  /** v1 is always PROXY. LOCAL means: use the real connection endpoints (health checks). */
  command: ProxyCommand;
  /** v1 UNKNOWN is UNSPEC. */
  family: ProxyFamily;
  transport: ProxyTransport;
  /** Absent for LOCAL and for UNSPEC family or transport. */
  source?: ProxyAddress;
  destination?: ProxyAddress;
  /** v2 TLVs in wire order; empty for v1. */
  tlvs: readonly ProxyTlv[];
  /** PP2_TYPE_ALPN, as sent (usually the negotiated protocol, e.g. `h2`). */
  alpn?: Uint8Array;
  /** PP2_TYPE_AUTHORITY: the host name the client asked for (TLS SNI). */
  authority?: string;
  /** PP2_TYPE_UNIQUE_ID: opaque, up to 128 bytes. */
  uniqueId?: Uint8Array;
  /** PP2_TYPE_NETNS. */
  netns?: string;
  /** PP2_TYPE_CRC32C, already verified against the header. */
  crc32c?: number;
  /** PP2_TYPE_SSL with its sub-TLVs decoded. */
  ssl?: ProxySslInfo;
}

export interface DecodeResult {
  header: ProxyHeader;
  /** Header bytes at the start of the input; what follows belongs to the application. */
  length: number;
}

/** What `encode()` accepts: a header as `decode()` returns it, or a subset of it. */
export interface ProxyHeaderInit {
  version: 1 | 2;
  command?: ProxyCommand;
  family?: ProxyFamily;
  transport?: ProxyTransport;
  source?: ProxyAddress;
  destination?: ProxyAddress;
  /** Raw TLVs. When non-empty they are written verbatim and the convenience fields are ignored. */
  tlvs?: readonly ProxyTlv[];
  alpn?: Uint8Array | string;
  authority?: string;
  uniqueId?: Uint8Array | string;
  netns?: string;
  ssl?: Partial<Omit<ProxySslInfo, 'tlvs'>> & { tlvs?: ProxyTlv[] };
  /** Ignored on input: use `EncodeOptions.crc32c`. Present so a decoded header can be re-encoded. */
  crc32c?: number;
}

export interface EncodeOptions {
  /** v2: add a PP2_TYPE_CRC32C TLV and fill it. A CRC32C TLV already in `tlvs` is always recomputed. */
  crc32c?: boolean;
}

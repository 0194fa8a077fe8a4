/**
 * The closed set of failures the pure core reports. Callers switch on `code`, never on message
 * text; the shell maps each code to an HTTP/XML reply (src/worker). Messages never carry keys,
 * signatures or payload values.
 */
type CoreErrorCode =
  | 'XML_MALFORMED' // not one well-formed flat <xml>…</xml> message
  | 'XML_FORBIDDEN' // DOCTYPE, ENTITY, processing instruction, comment: refused before parsing
  | 'XML_TOO_LARGE' // body over the configured byte limit
  | 'XML_LIMIT' // too many fields, a name outside the allowlist, a value too long
  | 'DECRYPT_FAILED' // refund req_info: bad base64, wrong key, bad padding, bad plaintext
  | 'AMOUNT_INVALID' // not a positive integer number of fen
  | 'ILLEGAL_TRANSITION'; // the order state machine refuses the event

export class CoreError extends Error {
  override readonly name: string = 'CoreError';
  constructor(
    readonly code: CoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export class XmlError extends CoreError {
  override readonly name = 'XmlError';
  constructor(code: 'XML_MALFORMED' | 'XML_FORBIDDEN' | 'XML_TOO_LARGE' | 'XML_LIMIT', message: string) {
    super(code, message);
  }
}

export class DecryptError extends CoreError {
  override readonly name = 'DecryptError';
  constructor(message: string) {
    super('DECRYPT_FAILED', message);
  }
}

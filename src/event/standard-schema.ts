/**
 * The Standard Schema v1 interface (https://standardschema.dev), which zod 4,
 * valibot, arktype and others implement: an object with a `~standard`
 * property whose `validate` returns the parsed value or a list of issues.
 *
 * Copied here as types, as the spec invites, so that rx-pubsub's declarations
 * stand alone: an application needs no schema library, nor the
 * `@standard-schema/spec` package, unless it uses schemas.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  /** The standard's properties: the schema's version, vendor, `validate` and types. */
  readonly '~standard': StandardSchemaV1.Props<Input, Output>;
}

// A namespace of types only, mirroring the spec's own names (StandardSchemaV1.Issue, ...).
// eslint-disable-next-line @typescript-eslint/no-namespace -- a namespace of types only, mirroring the Standard Schema spec's own names
export declare namespace StandardSchemaV1 {
  /** The properties under `~standard`. */
  interface Props<Input = unknown, Output = Input> {
    /** The version of the standard: 1. */
    readonly version: 1;
    /** The schema library's name (`zod`, `valibot`, ...). */
    readonly vendor: string;
    /** Validates an unknown value; may answer with a Promise (async refinements). */
    readonly validate: (value: unknown, options?: Options) => Result<Output> | Promise<Result<Output>>;
    /** The inferred types; only their types matter. */
    readonly types?: Types<Input, Output> | undefined;
  }
  /** Options of `validate`. */
  interface Options {
    /** Options of the schema library's own, passed through. */
    readonly libraryOptions?: Record<string, unknown> | undefined;
  }
  /** What `validate` answers: the value, or the issues. */
  type Result<Output> = SuccessResult<Output> | FailureResult;
  /** The value passed the schema. */
  interface SuccessResult<Output> {
    /** The value, as the schema parsed it (defaults filled, transforms applied). */
    readonly value: Output;
    /** Absent on success: how a result is told apart. */
    readonly issues?: undefined;
  }
  /** The value failed the schema. */
  interface FailureResult {
    /** Every problem found, at least one. */
    readonly issues: ReadonlyArray<Issue>;
  }
  /** One problem found in a value, at `path` (keys from the root). */
  interface Issue {
    /** What is wrong, in the schema library's words. */
    readonly message: string;
    /** Where, as keys from the root (`['items', 0, 'sku']`); absent for the root itself. */
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined;
  }
  /** A path key given as an object. */
  interface PathSegment {
    /** The key. */
    readonly key: PropertyKey;
  }
  /** The schema's types, for inference only (no value at run time). */
  interface Types<Input = unknown, Output = Input> {
    /** The type the schema accepts. */
    readonly input: Input;
    /** The type the schema produces. */
    readonly output: Output;
  }
  /** The type a schema accepts. */
  type InferInput<Schema extends StandardSchemaV1> = NonNullable<Schema['~standard']['types']>['input'];
  /** The type a schema produces. */
  type InferOutput<Schema extends StandardSchemaV1> = NonNullable<Schema['~standard']['types']>['output'];
}

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
  readonly '~standard': StandardSchemaV1.Props<Input, Output>;
}

// A namespace of types only, mirroring the spec's own names (StandardSchemaV1.Issue, ...).
// eslint-disable-next-line @typescript-eslint/no-namespace -- a namespace of types only, mirroring the Standard Schema spec's own names
export declare namespace StandardSchemaV1 {
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
  interface Options {
    readonly libraryOptions?: Record<string, unknown> | undefined;
  }
  type Result<Output> = SuccessResult<Output> | FailureResult;
  interface SuccessResult<Output> {
    readonly value: Output;
    readonly issues?: undefined;
  }
  interface FailureResult {
    readonly issues: ReadonlyArray<Issue>;
  }
  /** One problem found in a value, at `path` (keys from the root). */
  interface Issue {
    readonly message: string;
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined;
  }
  interface PathSegment {
    readonly key: PropertyKey;
  }
  interface Types<Input = unknown, Output = Input> {
    readonly input: Input;
    readonly output: Output;
  }
  /** The type a schema accepts. */
  type InferInput<Schema extends StandardSchemaV1> = NonNullable<Schema['~standard']['types']>['input'];
  /** The type a schema produces. */
  type InferOutput<Schema extends StandardSchemaV1> = NonNullable<Schema['~standard']['types']>['output'];
}

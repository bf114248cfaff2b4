/** One problem with a request body, in the shape of the problem+json `errors[]` member. */
export interface FieldError {
  /** JSON Pointer (RFC 6901) into the request body; `""` is the body itself. */
  path: string;
  message: string;
}

/** An error caused by what the user asked for (bad flag, missing path, port in use...).
 *  Front ends show its message alone, without a stack trace. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 2,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

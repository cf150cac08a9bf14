/**
 * The routing keys every row of the pattern match tables is checked against,
 * in column order: at run time (test/routing/pattern.test.ts) and at the type
 * level (test/typing/glob-match.test.ts), so both tables read the same columns.
 */
export const PATTERN_KEYS = [
  'order.created',
  'order.paid',
  'user.created',
  'order',
  'created',
  'order.created.v2',
  'orders.created',
  'a.b.created',
  'Order.created',
  'od',
  'order.c.eated',
  'x.y',
] as const;

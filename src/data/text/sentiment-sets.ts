// The names of the sentiment sets (src/data/text/sentiment.ts), in a module of their own: the config schema and the
// task specs read them, and sentiment.ts loads the tokenizer (compromise), which would add ~0.2 s to every start of
// the command line.
/** The three sets, in the order the issue and the README give them. */
export const SENTIMENT_SETS = ['imdb', 'amazon', 'yelp'] as const;
export type SentimentSetName = (typeof SENTIMENT_SETS)[number];

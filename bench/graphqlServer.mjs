// The GraphQL bench server, run as its own process (serving never competes with the client being measured):
// the graphql-ws library's useServer on a ws WebSocketServer, 127.0.0.1 and a free port; prints one JSON line
// {"graphql":port} when ready and exits when its parent closes stdin.
//   subscription { ticks(count: N) { seq } }: N results ({"data":{"ticks":{"seq":…}}}, about 80 B on the wire
//   each with graphql-ws's envelope) as fast as graphql-js executes them and the socket takes them, then complete.
import { GraphQLInt, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';

const Tick = new GraphQLObjectType({ name: 'Tick', fields: { seq: { type: new GraphQLNonNull(GraphQLInt) } } });
const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: 'Query', fields: { hello: { type: GraphQLString, resolve: () => 'hello' } } }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      ticks: {
        type: new GraphQLNonNull(Tick),
        args: { count: { type: new GraphQLNonNull(GraphQLInt) } },
        subscribe: async function* (_src, { count }) {
          for (let seq = 1; seq <= count; seq++) yield { ticks: { seq } };
        },
      },
    },
  }),
});
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/graphql' });
useServer({ schema }, wss);
wss.on('listening', () => process.stdout.write(`${JSON.stringify({ graphql: wss.address().port })}\n`));
process.stdin.resume();
process.stdin.on('end', () => {
  for (const c of wss.clients) c.terminate();
  wss.close();
  process.exit(0);
});

GATEHOUSE_URL=${GATEHOUSE_URL:-http://127.0.0.1:4000/graphql}

curl -s "$GATEHOUSE_URL" -H 'content-type: application/json' -d '{
  "query": "mutation ($input: RegisterInput!) { register(input: $input) { accessToken refreshToken expiresAt user { id email role } } }",
  "variables": { "input": { "email": "ada@example.com", "password": "correct horse battery staple" } } }'

LOGIN=$(curl -s "$GATEHOUSE_URL" -H 'content-type: application/json' -d '{
  "query": "mutation ($input: LoginInput!) { login(input: $input) { __typename ... on AuthPayload { accessToken refreshToken expiresAt } ... on MfaChallenge { challengeToken methods expiresAt } } }",
  "variables": { "input": { "email": "ada@example.com", "password": "correct horse battery staple" } } }')
TOKEN=$(echo "$LOGIN" | jq -r .data.login.accessToken)
REFRESH=$(echo "$LOGIN" | jq -r .data.login.refreshToken)

curl -s "$GATEHOUSE_URL" -H 'content-type: application/json' \
  -H "authorization: Bearer $TOKEN" -d '{ "query": "{ me { id email role createdAt } }" }'

curl -s "$GATEHOUSE_URL" -H 'content-type: application/json' -d '{
  "query": "mutation ($t: String!) { refresh(refreshToken: $t) { accessToken refreshToken } }",
  "variables": { "t": "'"$REFRESH"'" } }'

curl -s "$GATEHOUSE_URL" -H 'content-type: application/json' \
  -H "authorization: Bearer $TOKEN" -d '{ "query": "mutation { logout(scope: ALL) }" }'

package fhir

import "context"

// Existing returns which of the given ids of type typ are on the server,
// asking in searches of at most 50 ids (a server's usual page size).
func (c *Client) Existing(ctx context.Context, typ string, ids []string) (map[string]bool, error) {
	v, _, err := c.Versions(ctx, typ, ids)
	if err != nil {
		return nil, err
	}
	found := make(map[string]bool, len(v))
	for id := range v {
		found[id] = true
	}
	return found, nil
}

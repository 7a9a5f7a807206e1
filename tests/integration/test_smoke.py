from tests.integration.conftest import bearer, issue_token


def test_owner_reads_own_company_with_token(client, owner):
    token = issue_token(owner)
    response = client.get("/api/v1/companies/me", headers=bearer(token))
    assert response.status_code == 200
    assert response.json["legal_name"] == owner.company.legal_name

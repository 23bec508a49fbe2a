def test_login_page_is_chinese_by_default(client):
    resp = client.get("/login")
    assert resp.status_code == 200
    assert "登录" in resp.text
    assert 'name="username"' in resp.text and 'name="password"' in resp.text
